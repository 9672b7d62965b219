import { InvalidArgumentError } from '@pcee/core';
import type { ServeErrorHint } from './serve-error.js';

/**
 * A server setting out of range, or two that contradict each other. The message names the
 * `ServeOptions` settings (`maxQueue`), and `settingsHint.settings` lists them so a front end can say
 * them in its own terms (the CLI renders `--max-queue`).
 */
export class ServeSettingError extends InvalidArgumentError {
  readonly settingsHint: ServeErrorHint;

  constructor(message: string, settings: readonly string[], options?: { cause?: unknown }) {
    super(message, options);
    this.settingsHint = { settings };
  }
}
