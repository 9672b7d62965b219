import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listModels } from '@pcee/models';
import { describe, expect, it } from 'vitest';
import { temporaryFolder } from '../test-support/run-cli.js';

const script = fileURLToPath(new URL('../scripts/zoo-report.mjs', import.meta.url));
const run = (...argv: string[]) => spawnSync(process.execPath, [script, ...argv], { encoding: 'utf8' });

describe('scripts/zoo-report.mjs', () => {
  it('reports every bundled model and both families, as markdown and JSON', () => {
    const json = join(temporaryFolder(), 'zoo.json');
    const result = run('--json', json);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('**chosen on validation** traces; every result is **measured on test**');
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.models.map((model: { id: string }) => model.id)).toEqual(listModels().map(({ id }) => id));
    expect(report.headline.map((family: { family: string }) => family.family)).toEqual([
      'fmnist-cnn',
      'fmnist-vit',
    ]);
    for (const family of report.headline) expect(result.stdout).toContain(`| ${family.family} | `);
    for (const model of report.models) {
      expect(result.stdout).toContain(`### ${model.id}`);
      expect(model.perExit).toHaveLength(model.exits);
      // The grid ends at the final exit's validation accuracy, never above it.
      const { grid } = model.controllability;
      expect(grid.upper).toBe(model.perExit.at(-1).validationAccuracy);
      expect(grid.to).toBeLessThanOrEqual(grid.upper);
      expect(Object.keys(model.controllability.policies)).toEqual(['pcee', 'pcee-ws', 'confidence']);
    }
  });

  it('an unknown flag is one error line, exit 1', () => {
    const result = run('--jsno', 'out.json');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^error: unexpected argument "--jsno"; usage: node packages\/cli\/scripts\/zoo-report\.mjs/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
