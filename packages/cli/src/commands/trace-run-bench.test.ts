import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTensor, readTraces } from '@pcee/core';
import { modelDir } from '@pcee/models';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  copyModelPackage,
  referenceInputs,
  writeReferenceInputs,
} from '../../test-support/reference-model.js';
import {
  expectOneLineError,
  runCli,
  syntheticTraces,
  temporaryFolder,
  writeTensorsFile,
  writeTracesFile,
} from '../../test-support/run-cli.js';
import { bundledManifest } from '../../test-support/split-models.js';

// Real model, real onnxruntime-node: the smallest bundled model on its first test images.
const model = modelDir('fmnist-cnn-small');
const exits = bundledManifest('fmnist-cnn-small').stages.length;
const folder = temporaryFolder();
const inputs = writeReferenceInputs(folder, 'inputs.npz', 96);
const unlabelled = writeReferenceInputs(folder, 'unlabelled.npz', 16, false);
const traces = join(folder, 'val.npz');
const profile = join(folder, 'profile.json');

beforeAll(async () => {
  expect((await runCli('trace', model, inputs, '--out', traces, '--batch', '32')).code).toBe(0);
  expect((await runCli('calibrate', traces, '--model', model, '--out', profile)).code).toBe(0);
});

describe('pcee trace', () => {
  it('writes logits [N, L, C] of every exit with the inputs labels (.npz)', () => {
    const written = readTraces(new Uint8Array(readFileSync(traces)), 'val.npz');
    expect([written.samples, written.exits, written.classes]).toEqual([96, exits, 10]);
    const labels = readTraces(new Uint8Array(readFileSync(traces))).labels;
    expect(labels).toHaveLength(96);
  });

  it('writes .safetensors by extension and honours --limit', async () => {
    const out = join(folder, 'val.safetensors');
    const result = await runCli('trace', model, inputs, '--out', out, '--limit', '10');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(`traced 10 samples × ${exits} exits of "fmnist-cnn-small" on cpu`),
    );
    const written = readTraces(new Uint8Array(readFileSync(out)), out);
    expect(written.samples).toBe(10);
    expect(readFileSync(out).subarray(0, 2).toString('hex')).not.toBe('504b'); // not a zip
  });

  it('refuses inputs without labels: traces need them', async () => {
    expectOneLineError(
      await runCli('trace', model, unlabelled, '--out', join(folder, 'x.npz')),
      /has no labels; traces need them/,
    );
  });
});

describe('pcee run', () => {
  it('--json prints {predictions:[{index,prediction,exit,confidence,estimatedAccuracy}], summary}', async () => {
    const result = await runCli(
      'run',
      model,
      inputs,
      '--profile',
      profile,
      '--delta',
      '0.9',
      '--json',
      '--batch',
      '7',
    );
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(Object.keys(json)).toEqual(['predictions', 'summary']);
    expect(json.predictions).toHaveLength(96);
    expect(Object.keys(json.predictions[0])).toEqual([
      'index',
      'prediction',
      'exit',
      'confidence',
      'estimatedAccuracy',
    ]);
    expect(json.predictions.map((prediction: { index: number }) => prediction.index)).toEqual(
      Array.from({ length: 96 }, (_, index) => index),
    );
    expect(Object.keys(json.summary)).toEqual(['accuracy', 'meanCost', 'relativeCost', 'exitCounts']);
    expect(json.summary.exitCounts.reduce((sum: number, count: number) => sum + count, 0)).toBe(96);
    expect(json.summary.accuracy).toBeGreaterThan(0);
    expect(json.summary.relativeCost).toBeGreaterThan(0);
  });

  it('δ = 0 exits everything at the first non-empty bin, δ = 1 runs (almost) everything deep', async () => {
    const low = JSON.parse(
      (await runCli('run', model, inputs, '--profile', profile, '--delta', '0', '--json')).stdout,
    );
    const high = JSON.parse(
      (await runCli('run', model, inputs, '--profile', profile, '--delta', '1', '--json')).stdout,
    );
    expect(low.summary.meanCost).toBeLessThanOrEqual(high.summary.meanCost);
  });

  it('reports accuracy null without labels, and prints a table by default', async () => {
    const json = JSON.parse(
      (await runCli('run', model, unlabelled, '--profile', profile, '--delta', '0.9', '--json')).stdout,
    );
    expect(json.summary.accuracy).toBeNull();
    const table = await runCli('run', model, inputs, '--profile', profile, '--delta', '0.9', '--limit', '20');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/fmnist-cnn-small\s+pcee\s+0\.9\s+20\s+\d\.\d{4}/);
  });

  it.each([
    ['--policy oracle', ['--policy', 'oracle'], /the oracle needs labels/],
    ['two deltas', ['--delta', '0.8,0.9'], /--delta takes one value for run/],
    [
      'a missing device',
      ['--device', 'cuda'],
      /device "cuda" not available here .*npm run install:cuda -w @pcee\/runtime-node.*available: cpu/,
    ],
  ])('refuses %s in one line', async (_, extra, message) => {
    expectOneLineError(
      await runCli('run', model, inputs, '--profile', profile, '--delta', '0.9', ...extra),
      message,
    );
  });
});

describe('pcee bench', () => {
  it('--json prints {full, fullByBatch, rows} with one row per batch × δ', async () => {
    const result = await runCli(
      'bench',
      model,
      inputs,
      '--profile',
      profile,
      '--delta',
      '0.8,0.95',
      '--batch',
      '1,32',
      '--repeat',
      '1',
      '--threads',
      '1',
      '--json',
    );
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(Object.keys(json)).toEqual(['costUnit', 'full', 'fullByBatch', 'rows']);
    expect(json.costUnit).toBe('flops');
    expect(Object.keys(json.full)).toEqual(['accuracy', 'throughput', 'latencyMs']);
    expect(json.fullByBatch.map((row: { batch: number }) => row.batch)).toEqual([1, 32]);
    expect(json.full).toEqual({ ...json.fullByBatch[0], batch: undefined });
    for (const row of json.rows) {
      const full = json.fullByBatch.find((f: { batch: number }) => f.batch === row.batch);
      expect(row.speedup).toBeCloseTo(row.throughput / full.throughput, 10);
    }
    expect(json.rows).toHaveLength(4);
    expect(Object.keys(json.rows[0])).toEqual([
      'policy',
      'delta',
      'batch',
      'accuracy',
      'throughput',
      'speedup',
      'predictedSpeedup',
      'perExitPredictedSpeedup',
      'flopPredictedSpeedup',
      'latencyMs',
      'fused',
      'liveExits',
    ]);
    expect(json.rows.map((row: { batch: number; delta: number }) => [row.batch, row.delta])).toEqual([
      [1, 0.8],
      [1, 0.95],
      [32, 0.8],
      [32, 0.95],
    ]);
    for (const row of json.rows) {
      expect(row.throughput).toBeGreaterThan(0);
      // Without a batch cost model the per-exit costs are the prediction.
      expect(row.perExitPredictedSpeedup).toBe(row.predictedSpeedup);
      expect(row.predictedSpeedup).toBeGreaterThanOrEqual(0.9);
      // A FLOP profile predicts in FLOPs: both predictions are the same number.
      expect(row.flopPredictedSpeedup).toBeCloseTo(row.predictedSpeedup, 10);
    }
  });

  it('prints a table with the full model first', async () => {
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
    );
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /policy\s+δ\s+batch\s+accuracy\s+samples\/s\s+speedup\s+predicted \(FLOPs\)\s+ms\/batch\s+live exits$/,
    );
    expect(lines[1]).toMatch(/^full model\s+-\s+16/);
    expect(lines[2]).toMatch(/^pcee\s+0\.9\s+16/);
  });
});

describe('errors are one clear line', () => {
  const damaged = (name: string) => {
    const target = join(folder, name);
    mkdirSync(target, { recursive: true });
    return copyModelPackage('fmnist-cnn-small', target);
  };

  it('a missing stage file names it', async () => {
    const broken = damaged('missing-stage');
    rmSync(join(broken, 'stage-3.onnx'));
    expectOneLineError(
      await runCli('run', broken, inputs, '--profile', profile, '--delta', '0.9'),
      /stage-3\.onnx listed in model\.json cannot be read \(ENOENT\)/,
    );
  });

  it('a corrupt stage file fails its sha256 check', async () => {
    const broken = damaged('corrupt-stage');
    truncateSync(join(broken, 'stage-0.onnx'), 64);
    expectOneLineError(
      await runCli('trace', broken, inputs, '--out', join(folder, 'never.npz')),
      /stage-0\.onnx of model "fmnist-cnn-small" has sha256 .* the file is corrupt or was replaced/,
    );
  });

  it('a missing model folder says what a model package is', async () => {
    expectOneLineError(
      await runCli('trace', join(folder, 'nowhere'), inputs, '--out', join(folder, 'never.npz')),
      /model\.json does not exist; a model package is a folder/,
    );
  });

  it('inputs of the wrong shape name both shapes', async () => {
    const wrong = writeTensorsFile(folder, 'wrong-shape.npz', {
      x: createTensor('uint8', [4, 27, 27], new Uint8Array(4 * 27 * 27)),
    });
    expectOneLineError(
      await runCli('run', model, wrong, '--profile', profile, '--delta', '0.9'),
      /input "image" has shape \[4, 27, 27\] but the model expects \[N, 1, 28, 28\]/,
    );
  });

  it('inputs of the wrong dtype say which one to save', async () => {
    const wrong = writeTensorsFile(folder, 'wrong-dtype.npz', {
      x: createTensor('float32', [4, 28, 28], new Float32Array(4 * 28 * 28)),
    });
    expectOneLineError(
      await runCli('bench', model, wrong, '--profile', profile, '--delta', '0.9'),
      /input "image" is float32 but the model expects raw uint8 values/,
    );
  });

  it('a profile calibrated for traces with other exits is refused with the fix', async () => {
    const other = join(folder, 'other-profile.json');
    const otherTraces = writeTracesFile(folder, 'other.npz', syntheticTraces(200, exits + 2, 10));
    expect((await runCli('calibrate', otherTraces, '--out', other)).code).toBe(0);
    expectOneLineError(
      await runCli('run', model, inputs, '--profile', other, '--delta', '0.9'),
      new RegExp(
        `profile has ${exits + 2} exits but model "fmnist-cnn-small" has ${exits}; recalibrate with: pcee trace`,
      ),
    );
  });

  it('a profile calibrated for another model id is refused', async () => {
    const other = join(folder, 'renamed-profile.json');
    const json = JSON.parse(readFileSync(profile, 'utf8'));
    json.model.id = 'fmnist-cnn-large';
    writeFileSync(other, JSON.stringify(json));
    expectOneLineError(
      await runCli('bench', model, inputs, '--profile', other, '--delta', '0.9'),
      /profile was calibrated for model "fmnist-cnn-large", not model "fmnist-cnn-small"/,
    );
  });
});

// Found by following the README with a model of one's own (issue 13): each once gave a
// misleading message or none.
describe('what a new user runs into', () => {
  it('inputs may be named after the model input instead of x', async () => {
    const { x, labels } = referenceInputs(12);
    const named = writeTensorsFile(folder, 'named.npz', { image: x, labels });
    const result = await runCli('run', model, named, '--profile', profile, '--delta', '0.9');
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
  });

  it('int64 pixels for a uint8 model say which dtype to save (not "int64 is not supported; use int64")', async () => {
    const { x } = referenceInputs(4);
    const wide = createTensor(
      'int64',
      x.shape,
      BigInt64Array.from(x.data as Uint8Array, (value) => BigInt(value)),
    );
    expectOneLineError(
      await runCli(
        'run',
        model,
        writeTensorsFile(folder, 'int64.npz', { x: wide }),
        '--profile',
        profile,
        '--delta',
        '0.9',
      ),
      /input "image" is int64 but the model expects raw uint8 values \(it applies its own preprocessing\); save it as uint8/,
    );
  });

  it('logits saved as [N, C, L] are reported as transposed, not as labels out of range', async () => {
    const real = readTraces(new Uint8Array(readFileSync(traces)));
    const transposed = new Float32Array(real.logits.length);
    const { samples, exits, classes } = real;
    for (let n = 0; n < samples; n++)
      for (let l = 0; l < exits; l++)
        for (let c = 0; c < classes; c++)
          transposed[(n * classes + c) * exits + l] = real.logits[(n * exits + l) * classes + c]!;
    const file = writeTensorsFile(folder, 'transposed.npz', {
      logits: createTensor('float32', [samples, classes, exits], transposed),
      labels: createTensor('int32', [samples], real.labels),
    });
    expectOneLineError(
      await runCli('calibrate', file, '--model', model, '--out', join(folder, 'never.json')),
      /looks like \[N, C, L\]: traces are \[N, L, C\] \(L exits, C classes\), so save logits\.transpose\(0, 2, 1\)/,
    );
  });

  it('an empty profile (--profile /dev/null) says it is empty', async () => {
    expectOneLineError(
      await runCli('run', model, inputs, '--profile', '/dev/null', '--delta', '0.9'),
      /\/dev\/null is empty; pass the profile that pcee calibrate --out wrote/,
    );
  });

  it('a profile calibrated without --model runs with one warning naming the fix', async () => {
    const anonymous = join(folder, 'anonymous.json');
    expect((await runCli('calibrate', traces, '--out', anonymous)).code).toBe(0);
    const result = await runCli(
      'run',
      model,
      inputs,
      '--profile',
      anonymous,
      '--delta',
      '0.9',
      '--limit',
      '8',
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /warning: the profile was calibrated without --model, so nothing ties it to model "fmnist-cnn-small".*recalibrate with: pcee calibrate <val-traces> --model/,
    );
  });

  it('a wrong sha256 in model.json is refused where the manifest is read, naming the file', async () => {
    const damaged = copyModelPackage('fmnist-cnn-small', mkdtempSync(join(folder, 'hash-')));
    const manifestPath = join(damaged, 'model.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.stages[2].sha256 = '0'.repeat(64);
    writeFileSync(manifestPath, JSON.stringify(manifest));
    expectOneLineError(
      await runCli('calibrate', traces, '--model', damaged, '--out', join(folder, 'never.json')),
      /stage-2\.onnx of model "fmnist-cnn-small" has sha256 [0-9a-f]{12}… but model\.json expects 000000000000…/,
    );
  });
});
