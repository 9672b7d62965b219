import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostCpuModel } from '@pcee/engine/node';
import { modelDir } from '@pcee/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyModelPackage, writeReferenceInputs } from '../../test-support/reference-model.js';
import { expectOneLineError, runCli, temporaryFolder } from '../../test-support/run-cli.js';
import { bundledManifest } from '../../test-support/split-models.js';

// Real model, real onnxruntime-node. Timings are never asserted, only their shape and bookkeeping.
const model = modelDir('fmnist-cnn-small');
const folder = temporaryFolder();
const inputs = writeReferenceInputs(folder, 'inputs.npz', 64);
const traces = join(folder, 'val.npz');
const msProfile = join(folder, 'ms-profile.json');
const measure = ['--cost-unit', 'ms', '--batch', '8', '--repeat', '2', '--threads', '1'];
let calibrated: Awaited<ReturnType<typeof runCli>>;

beforeAll(async () => {
  expect((await runCli('trace', model, inputs, '--out', traces, '--batch', '32')).code).toBe(0);
  calibrated = await runCli('calibrate', traces, '--model', model, ...measure, '--out', msProfile);
});

/** A copy of the ms profile whose measurement record says it was measured elsewhere. */
function profileMeasured(where: Record<string, unknown>): string {
  const json = JSON.parse(readFileSync(msProfile, 'utf8'));
  json.costs.measurement = { ...json.costs.measurement, ...where };
  const path = join(folder, `elsewhere-${Object.values(where).join('-').replace(/\W+/g, '_')}.json`);
  writeFileSync(path, JSON.stringify(json));
  return path;
}

describe('pcee calibrate --cost-unit ms', () => {
  it('records per-sample ms per exit, cumulative, with where and how they were measured', () => {
    expect(calibrated.code).toBe(0);
    const { costs } = JSON.parse(readFileSync(msProfile, 'utf8'));
    expect(costs.unit).toBe('ms');
    expect(costs.exits).toHaveLength(bundledManifest('fmnist-cnn-small').stages.length);
    costs.exits.forEach((cost: number, exit: number) => {
      expect(cost).toBeGreaterThan(exit === 0 ? 0 : costs.exits[exit - 1]);
    });
    expect(costs.fullModel).toBeGreaterThan(0);
    expect(costs.measurement).toEqual({
      device: 'cpu',
      threads: 1,
      runtime: 'onnxruntime-node',
      runtimeVersion: '1.30.0',
      host: hostCpuModel(),
      batch: 8,
      repeats: 2,
      fullModel: 'measured',
    });
    expect(calibrated.stdout.split('\n')[0]).toMatch(/exit\s+accuracy\s+ECE\s+MCE\s+cost \(ms\)$/);
    expect(calibrated.stderr).toMatch(
      /^costs measured on cpu .*batch 8, 1 threads, median of 2 runs: full model [\d.e-]+ ms per sample \(full\.onnx timed\)$/m,
    );
  });

  it('without full.onnx estimates the full model from the stages, and says so', async () => {
    const target = join(folder, 'no-full');
    mkdirSync(target);
    copyModelPackage('fmnist-cnn-small', target);
    const manifest = JSON.parse(readFileSync(join(target, 'model.json'), 'utf8'));
    delete manifest.full;
    writeFileSync(join(target, 'model.json'), JSON.stringify(manifest));
    rmSync(join(target, 'full.onnx'));
    const out = join(folder, 'no-full.json');
    const result = await runCli('calibrate', traces, '--model', target, ...measure, '--out', out);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/\(estimated: no full\.onnx\)/);
    const { costs } = JSON.parse(readFileSync(out, 'utf8'));
    expect(costs.measurement.fullModel).toBe('estimated');
    expect(costs.fullModel).toBeLessThan(costs.exits.at(-1));
  });

  it.each([
    [
      '--cost-unit ms without --model',
      ['--cost-unit', 'ms'],
      /--cost-unit ms measures the model's stages; give .*--model/,
    ],
    [
      '--cost-unit flops without --model',
      ['--cost-unit', 'flops'],
      /--cost-unit flops takes the FLOPs from model\.json/,
    ],
    [
      '--costs with --cost-unit',
      ['--model', model, '--cost-unit', 'ms', '--costs', '1,2,3,4'],
      /choose one of --costs .* and --cost-unit/,
    ],
    [
      '--device without --cost-unit ms',
      ['--model', model, '--device', 'cpu'],
      /--device applies only when measuring/,
    ],
    [
      '--batch with FLOP costs',
      ['--model', model, '--cost-unit', 'flops', '--batch', '8'],
      /--batch applies only/,
    ],
    [
      'a missing device',
      ['--model', model, '--cost-unit', 'ms', '--device', 'cuda'],
      /device "cuda" not available here .*npm run install:cuda/,
    ],
  ])('refuses %s in one line', async (_, flags, message) => {
    expectOneLineError(
      await runCli('calibrate', traces, ...flags, '--out', join(folder, 'never.json')),
      message,
    );
  });

  it('--json adds the costs with their measurement record', async () => {
    const result = await runCli(
      'calibrate',
      traces,
      '--model',
      model,
      ...measure,
      '--out',
      msProfile,
      '--json',
    );
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.costs.unit).toBe('ms');
    expect(json.costs.measurement.batch).toBe(8);
  });
});

describe('commands plan in the profile’s unit', () => {
  it('evaluate and run report mean costs in ms', async () => {
    const evaluated = await runCli('evaluate', msProfile, traces, '--policy', 'pcee', '--delta', '0.9');
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/mean cost \(ms\)/);
    const ran = await runCli(
      'run',
      model,
      inputs,
      '--profile',
      msProfile,
      '--delta',
      '0.9',
      '--threads',
      '1',
      '--batch',
      '8',
    );
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/mean cost \(ms\)/);
    // Same device, host, batch and threads as measured: nothing to warn about.
    expect(ran.stderr).not.toMatch(/warning/);
  });

  it('bench predicts in ms and in FLOPs side by side', async () => {
    const args = ['bench', model, inputs, '--profile', msProfile, '--delta', '0.8,0.95', '--batch', '8'];
    const result = await runCli(...args, '--repeat', '1', '--threads', '1', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.costUnit).toBe('ms');
    for (const row of json.rows) {
      expect(row.predictedSpeedup).toBeGreaterThan(0);
      expect(row.flopPredictedSpeedup).toBeGreaterThan(0);
      expect(row.predictedSpeedup).not.toBe(row.flopPredictedSpeedup);
    }
    const table = await runCli(...args, '--repeat', '1', '--threads', '1');
    expect(table.stdout.split('\n')[0]).toMatch(
      /speedup\s+predicted \(ms\)\s+predicted \(FLOPs\)\s+ms\/batch\s+live exits$/,
    );
  });

  it('report keeps measured costs instead of replacing them with FLOPs', async () => {
    const out = join(folder, 'report.html');
    const result = await runCli('report', msProfile, traces, '--model', model, '--out', out);
    expect(result.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/\(ms\)/);
  });

  it.each([
    ['another device', { device: 'cuda' }, /measured with device cuda, not cpu/],
    ['another host', { host: 'Some Other CPU' }, /host "Some Other CPU", not "/],
    ['another batch', { batch: 64 }, /batch 64, not 8/],
  ])('warns when the profile was measured with %s, naming both', async (_, where, message) => {
    const profile = profileMeasured(where);
    const result = await runCli(
      'run',
      model,
      inputs,
      '--profile',
      profile,
      '--delta',
      '0.9',
      '--threads',
      '1',
      '--batch',
      '8',
    );
    expect(result.code).toBe(0);
    const warning = result.stderr.split('\n').find((line) => line.startsWith('warning: '));
    expect(warning).toMatch(message);
    expect(warning).toMatch(/re-measure with: pcee calibrate .* --cost-unit ms --device cpu --batch 8\)$/);
    const bench = await runCli(
      'bench',
      model,
      inputs,
      '--profile',
      profile,
      '--delta',
      '0.9',
      '--batch',
      '8',
      '--repeat',
      '1',
      '--threads',
      '1',
    );
    expect(bench.stderr).toMatch(message);
  });
});

describe('a batch cost model (--cost-unit ms at several batch sizes)', () => {
  const batchProfile = join(folder, 'batch-profile.json');
  let result: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    const args = ['--cost-unit', 'ms', '--batch', '8,1', '--repeat', '2', '--threads', '1'];
    result = await runCli('calibrate', traces, '--model', model, ...args, '--out', batchProfile);
  });

  it('calibrate fits fixed + batch × per-sample ms per stage and for the full model, and prints them', () => {
    expect(result.code).toBe(0);
    const { costs } = JSON.parse(readFileSync(batchProfile, 'utf8'));
    const stages = bundledManifest('fmnist-cnn-small').stages.length;
    expect(costs.measurement.batch).toBe(8);
    expect(costs.batchModel.batches).toEqual([1, 8]);
    expect(costs.batchModel.stages).toHaveLength(stages);
    for (const fit of [...costs.batchModel.stages, costs.batchModel.fullModel]) {
      expect(fit.fixed).toBeGreaterThanOrEqual(0);
      expect(fit.perSample).toBeGreaterThanOrEqual(0);
      expect(fit.residual).toBeGreaterThanOrEqual(0);
    }
    expect(costs.batchModel.timings.map((timing: { batch: number }) => timing.batch)).toEqual([1, 8]);
    expect(result.stdout.split('\n')[0]).toMatch(
      /stage fixed \(ms\)\s+stage per sample \(ms\)\s+fit residual$/,
    );
    expect(result.stderr).toMatch(/^batch cost model fitted at batch 1, 8: full model .* ms per sample/m);
  });

  it('bench predicts from it at each batch size, beside the per-exit prediction, and does not warn inside the range', async () => {
    const args = ['bench', model, inputs, '--profile', batchProfile, '--delta', '0.9', '--batch', '1,8'];
    const bench = await runCli(...args, '--repeat', '1', '--threads', '1', '--json');
    expect(bench.code).toBe(0);
    expect(bench.stderr).not.toMatch(/warning/);
    const json = JSON.parse(bench.stdout);
    expect(json.rows.map((row: { batch: number }) => row.batch)).toEqual([1, 8]);
    for (const row of json.rows) {
      expect(row.predictedSpeedup).toBeGreaterThan(0);
      expect(row.perExitPredictedSpeedup).toBeGreaterThan(0);
      expect(row.predictedLatencyMs).toBeGreaterThan(0);
    }
    // The same bench at a batch beyond the sizes measured.
    const beyond = await runCli(...args.slice(0, 7), '--batch', '16', '--repeat', '1', '--threads', '1');
    expect(beyond.stderr).toMatch(/warning: .*batch 1–8, not 16/);
  });

  it('tune --budget prices δ at the batch given (default the largest measured), and refuses --batch without a batch model', async () => {
    const holdout = join(model, 'val.npz');
    const tuned = await runCli('tune', batchProfile, holdout, '--budget', '0.6', '--batch', '1', '--json');
    expect(tuned.code).toBe(0);
    const json = JSON.parse(tuned.stdout);
    expect(json.budget.batch).toBe(1);
    expect(json.holdout.relativeCost).toBeLessThanOrEqual(0.6 + 1e-9);
    const byDefault = await runCli('tune', batchProfile, holdout, '--budget', '0.6', '--json');
    expect(JSON.parse(byDefault.stdout).budget.batch).toBe(8);
    const refused = await runCli('tune', msProfile, holdout, '--budget', '0.6', '--batch', '1');
    expectOneLineError(refused, /--batch prices a budget with costs measured at several batch sizes/);
  });

  it('bench --drop-slow-exits weighs exits with it at each batch size', async () => {
    const args = ['bench', model, inputs, '--profile', batchProfile, '--delta', '0.9', '--batch', '1,8'];
    const bench = await runCli(...args, '--drop-slow-exits', traces, '--repeat', '1', '--threads', '1');
    expect(bench.code).toBe(0);
    expect(bench.stderr).toMatch(/^batch 1: /m);
    expect(bench.stderr).toMatch(/^batch 8: /m);
  });
});
