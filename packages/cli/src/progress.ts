import { SingleBar } from 'cli-progress';
import type { CliIo } from './cli-io.js';

/** A progress reporter for long work: a bar on stderr when it is a terminal, silent otherwise. */
export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** Creates a progress bar labelled `label`, drawn only when stderr is a TTY. */
export function createProgress(io: CliIo, label: string): Progress {
  if (!io.stderrIsTTY) return { update() {}, stop() {} };
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
