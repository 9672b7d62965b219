import { join } from 'node:path';
import { modelDir } from '@pcee/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusionDeltas, liveExits } from '../../test-support/fusion-deltas.js';
import { writeReferenceInputs } from '../../test-support/reference-model.js';
import { expectOneLineError, runCli, temporaryFolder } from '../../test-support/run-cli.js';
import { bundledManifest } from '../../test-support/split-models.js';

// Real model, real onnxruntime-node: fusion in `pcee run` and `pcee bench`.
const model = modelDir('fmnist-cnn-small');
const otherModel = modelDir('fmnist-cnn-large');
const folder = temporaryFolder();
const inputs = writeReferenceInputs(folder, 'inputs.npz', 96);
const traces = join(folder, 'val.npz');
const otherTraces = join(otherModel, 'val.npz');
const profile = join(folder, 'profile.json');
const exits = bundledManifest('fmnist-cnn-small').stages.length;
const otherExits = bundledManifest('fmnist-cnn-large').stages.length;
/** δ where every exit is live, δ where some exit is dead (from the profile), and the live exits. */
let allLive = 0;
let fuses = 0;
let liveWhenFused: readonly number[] = [];

beforeAll(async () => {
  // The shipped validation traces; the δs come from the profile, so they fit any weights.
  expect((await runCli('calibrate', join(model, 'val.npz'), '--model', model, '--out', profile)).code).toBe(
    0,
  );
  expect((await runCli('trace', model, inputs, '--out', traces, '--batch', '32')).code).toBe(0);
  ({ allLive, fuses } = fusionDeltas(profile));
  expect(liveExits(profile, allLive)).toHaveLength(exits);
  liveWhenFused = liveExits(profile, fuses);
  expect(liveWhenFused.length).toBeLessThan(exits);
});

const predictions = (stdout: string) =>
  JSON.parse(stdout).predictions.map((p: { exit: number; prediction: number }) => [p.exit, p.prediction]);

describe('pcee run fuses by default', () => {
  it.each([
    ['every exit is live', () => allLive, () => / \(nothing to fuse\)$/m],
    ['some exit is dead', () => fuses, () => / \(stages \d+–\d+( and \d+–\d+)* fused\)$/m],
  ])(
    'where %s, says which exits are live, with the exits and predictions of --no-fuse',
    async (_, chosen, words) => {
      const delta = String(chosen());
      const live = `live exits at δ ${delta}: ${liveExits(profile, chosen()).join(' ')} `;
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
      expect(fused.stderr).toContain(live);
      expect(fused.stderr).toMatch(words());
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
      String(allLive),
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
      new RegExp(
        `val\\.npz has ${otherExits} exits but model "fmnist-cnn-small" has ${exits}; give validation traces of this model`,
      ),
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
      `${allLive},${fuses}`,
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
      [allLive, false],
      [allLive, true],
      [fuses, false],
      [fuses, true],
    ]);
    const every = Array.from({ length: exits }, (_, exit) => exit);
    expect(rows.map((row: { liveExits: number[] }) => row.liveExits)).toEqual([
      every,
      every,
      every,
      liveWhenFused,
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
      String(fuses),
      '--batch',
      '16',
      '--repeat',
      '1',
    );
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/ms\/batch\s+live exits$/);
    expect(lines[2]).toMatch(/^pcee\s+\S+\s+16 /);
    expect(lines[2]).toMatch(new RegExp(` ${liveWhenFused.join(' ')}$`));
  });

  it('--drop-slow-exits says per batch what it dropped, and reports the live exits it ran', async () => {
    const result = await runCli(
      'bench',
      model,
      inputs,
      '--profile',
      profile,
      '--delta',
      String(allLive),
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
    expect(row.liveExits.at(-1)).toBe(exits - 1);
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
