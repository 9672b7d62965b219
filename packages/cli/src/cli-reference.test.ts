import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderCliReference, replaceCliReference } from './cli-reference.js';

describe('CLI reference in README.md', () => {
  it('documents every command', () => {
    const reference = renderCliReference();
    for (const command of ['split', 'inspect', 'calibrate', 'evaluate', 'trace', 'run', 'bench'])
      expect(reference).toContain(`### \`pcee ${command}\``);
  });

  it('is up to date with the CLI help (regenerate: npm run cli-reference -w @pcee/cli)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(replaceCliReference(readme)).toBe(readme);
  });
});
