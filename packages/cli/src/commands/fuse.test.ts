import { join } from 'node:path';
import { modelDir } from '@pcee/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeReferenceInputs } from '../test-support/reference-model.js';
import { expectOneLineError, runCli, temporaryFolder } from '../test-support/run-cli.js';

// Real model, real onnxruntime-node: fusion in `pcee run` and `pcee bench`.
const model = modelDir('fmnist-cnn-small');
const otherModel = modelDir('fmnist-cnn-large');
const folder = temporaryFolder();
const inputs = writeReferenceInputs(folder, 'inputs.npz', 96);
const traces = join(folder, 'val.npz');
const otherTraces = join(otherModel, 'val.npz');
const profile = join(folder, 'profile.json');

beforeAll(async () => {
  // The shipped validation traces: with 10000 samples every exit of this model has a bin
  // accurate enough to be live below δ 0.99; above, some exits are dead.
  expect((await runCli('calibrate', join(model, 'val.npz'), '--model', model, '--out', profile)).code).toBe(
    0,
  );
  expect((await runCli('trace', model, inputs, '--out', traces, '--batch', '32')).code).toBe(0);
});

const predictions = (stdout: string) =>
  JSON.parse(stdout).predictions.map((p: { exit: number; prediction: number }) => [p.exit, p.prediction]);

describe('pcee run fuses by default', () => {
  it.each([
    ['0.9', /live exits at δ 0\.9: 0 1 2 3 \(nothing to fuse\)/],
    ['0.995', /live exits at δ 0\.995: 0 3 \(stages 1–3 fused\)/],
  ])(
    'at δ %s says which exits are live, with the exits and predictions of --no-fuse',
    async (delta, live) => {
      const fused = await runCli('run', model, inputs, '--profile', profile, '--delta', delta, '--json');
      const unfused = await runCli(
        'run',
        model,
        inputs,
        '--profile',
        profile,
        '--delta',
        delta,
        '--json',
        '--no-fuse',
        '--batch',
        '5',
      );
      expect(fused.code).toBe(0);
      expect(fused.stderr).toMatch(live);
      expect(unfused.stderr).toMatch(/\(--no-fuse\)/);
      expect(predictions(fused.stdout)).toEqual(predictions(unfused.stdout));
      // Fused costs do not pay the dropped heads.
      expect(JSON.parse(fused.stdout).summary.meanCost).toBeLessThanOrEqual(
        JSON.parse(unfused.stdout).summary.meanCost,
      );
    },
  );

  it('--drop-slow-exits says what it dropped and keeps the accuracy on the validation traces', async () => {
    const result = await runCli(
      'run',
      model,
      inputs,
      '--profile',
      profile,
      '--delta',
      '0.9',
      '--drop-slow-exits',
      traces,
    );
    expect(result.code).toBe(0);
    const line = result.stderr.split('\n').find((text) => /dropped exits|no live exit/.test(text))!;
    expect(line).toMatch(/µs per sample at batch 64/);
    const accuracies = line.match(/validation accuracy ([\d.]+)% → ([\d.]+)%/);
    if (accuracies) expect(Number(accuracies[2])).toBeGreaterThanOrEqual(Number(accuracies[1]));
  });

  it.each([
    ['--drop-slow-exits with --no-fuse', ['--drop-slow-exits', 'x.npz', '--no-fuse'], /leave out --no-fuse/],
    [
      '--drop-slow-exits with traces of another model',
      ['--drop-slow-exits', otherTraces],
      /val\.npz has 6 exits but model "fmnist-cnn-small" has 4; give validation traces of this model/,
    ],
  ])('refuses %s in one line', async (_, extra, message) => {
    expectOneLineError(
      await runCli('run', model, inputs, '--profile', profile, '--delta', '0.9', ...extra),
      message,
    );
  });
});

describe('pcee bench fuses by default', () => {
  it('--fuse-compare measures every δ unfused and fused side by side', async () => {
    const result = await runCli(
      'bench',
      model,
      inputs,
      '--profile',
      profile,
      '--delta',
      '0.9,0.995',
      '--batch',
      '32',
      '--repeat',
      '1',
      '--fuse-compare',
      '--json',
    );
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout).rows;
    expect(rows.map((row: { delta: number; fused: boolean }) => [row.delta, row.fused])).toEqual([
      [0.9, false],
      [0.9, true],
      [0.995, false],
      [0.995, true],
    ]);
    expect(rows.map((row: { liveExits: number[] }) => row.liveExits)).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [0, 3],
    ]);
    expect(rows[3].accuracy).toBe(rows[2].accuracy);
  });

  it('prints the live exits in its table', async () => {
    const result = await runCli(
      'bench',
      model,
      inputs,
      '--profile',
      profile,
      '--delta',
      '0.995',
      '--batch',
      '16',
      '--repeat',
      '1',
    );
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/ms\/batch\s+live exits$/);
    expect(lines[2]).toMatch(/^pcee\s+0\.995\s+16 .* 0 3$/);
  });

  it('--drop-slow-exits says per batch what it dropped, and reports the live exits it ran', async () => {
    const result = await runCli(
      'bench',
      model,
      inputs,
      '--profile',
      profile,
      '--delta',
      '0.9',
      '--batch',
      '16',
      '--repeat',
      '1',
      '--drop-slow-exits',
      traces,
      '--json',
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/batch 16: (dropped exits [\d ]+ too|no live exit is slower)/);
    const [row] = JSON.parse(result.stdout).rows;
    expect(row.fused).toBe(true);
    expect(row.liveExits.at(-1)).toBe(3);
  });

  it('refuses --fuse-compare with --no-fuse in one line', async () => {
    expectOneLineError(
      await runCli(
        'bench',
        model,
        inputs,
        '--profile',
        profile,
        '--fuse-compare',
        '--no-fuse',
        '--delta',
        '0.9',
      ),
      /--fuse-compare measures fused and unfused side by side; leave out --no-fuse/,
    );
  });
});
