import { describe, expect, it } from 'vitest';
import { calibrate, parseProfile, serializeProfile } from '../calibration/index.js';
import type { ExitCosts } from '../cost/index.js';
import { InvalidArgumentError, InvalidProfileError } from '../errors/index.js';
import type { TensorMap } from '../model/index.js';
import type { FullModel, StagedModel, StageOutput } from '../runtime/index.js';
import { handManifest } from '../test-support/hand-manifest.js';
import { syntheticTraces } from '../test-support/random-traces.js';
import {
  describeMeasurementMismatch,
  type MeasurementSetting,
  measuredBatchCosts,
  measuredCosts,
  measureStageLatencies,
  measureStageLatenciesAtBatches,
} from './measured-costs.js';

const setting: MeasurementSetting = {
  device: 'cpu',
  threads: 2,
  runtime: 'onnxruntime-node',
  runtimeVersion: '1.30.0',
  host: 'Some CPU @ 2.00GHz',
};

describe('measuredCosts', () => {
  it('charges each sample its share of the batch, cumulatively; the full model as timed', () => {
    const costs = measuredCosts({ batch: 4, stageMs: [2, 6, 4], fullMs: 10, repeats: 20 }, setting);
    expect(costs.unit).toBe('ms');
    expect(costs.exits).toEqual([0.5, 2, 3]);
    expect(costs.fullModel).toBe(2.5);
    expect(costs.measurement).toEqual({ ...setting, batch: 4, repeats: 20, fullModel: 'measured' });
  });

  it('without full.onnx estimates the full model: every stage, intermediate heads removed by their FLOP share', () => {
    const costs = measuredCosts({ batch: 2, stageMs: [2, 4, 6], repeats: 5 }, setting, [0.5, 0.25, 0.1]);
    // (2·0.5 + 4·0.75 + 6) / 2: the last stage keeps its head, it is the full model's head too.
    expect(costs.fullModel).toBe(5);
    expect(costs.measurement!.fullModel).toBe('estimated');
  });

  it.each([
    [
      'a stage too fast for the clock',
      { batch: 64, stageMs: [0, 1], fullMs: 1, repeats: 3 },
      /too coarse.*larger batch/,
    ],
    ['a full model of 0 ms', { batch: 64, stageMs: [1, 1], fullMs: 0, repeats: 3 }, /full-model cost is 0/],
  ])('rejects %s', (_, latencies, message) => {
    expect(() => measuredCosts(latencies, setting)).toThrow(InvalidArgumentError);
    expect(() => measuredCosts(latencies, setting)).toThrow(message);
  });
});

describe('describeMeasurementMismatch', () => {
  const costs = measuredCosts({ batch: 64, stageMs: [1, 2], fullMs: 2, repeats: 3 }, setting);
  it.each([
    ['the same setting', { device: 'cpu', host: setting.host, batch: 64, threads: 2 }, undefined],
    ['an unknown batch and host now', { device: 'cpu', threads: 2 }, undefined],
    [
      'another device',
      { device: 'cuda', threads: 2 },
      /measured with device cpu, not cuda;.*--device cuda\)$/,
    ],
    [
      'another host',
      { device: 'cpu', host: 'Other CPU', threads: 2 },
      /host "Some CPU @ 2\.00GHz", not "Other CPU"/,
    ],
    ['another batch', { device: 'cpu', batch: 1, threads: 2 }, /batch 64, not 1;.*--device cpu --batch 1\)$/],
    ['default threads', { device: 'cpu', threads: null }, /2 threads, not default/],
  ])('%s', (_, context, expected) => {
    const message = describeMeasurementMismatch(costs, context);
    if (expected === undefined) expect(message).toBeUndefined();
    else expect(message).toMatch(expected);
  });

  it('says nothing for FLOP costs or ms costs without a record', () => {
    const flops: ExitCosts = { unit: 'flops', exits: [1, 2], fullModel: 2 };
    expect(describeMeasurementMismatch(flops, { device: 'cuda' })).toBeUndefined();
    const { measurement: _, ...bare } = costs;
    expect(describeMeasurementMismatch(bare, { device: 'cuda' })).toBeUndefined();
  });
});

describe('profiles with measured costs', () => {
  const traces = syntheticTraces(100, 2, 3, 5);
  const costs = measuredCosts({ batch: 64, stageMs: [1.5, 3.25], fullMs: 3, repeats: 7 }, setting);
  const profile = calibrate(traces, { costs });

  it('round-trip the measurement record through JSON', () => {
    const parsed = parseProfile(serializeProfile(profile));
    expect(parsed.costs).toEqual(costs);
  });

  it('stay readable without one (older profiles), and reject a malformed one', () => {
    const json = JSON.parse(serializeProfile(profile));
    delete json.costs.measurement;
    expect(parseProfile(JSON.stringify(json)).costs.measurement).toBeUndefined();
    json.costs.measurement = { ...costs.measurement, batch: 0 };
    expect(() => parseProfile(JSON.stringify(json))).toThrow(InvalidProfileError);
    expect(() => parseProfile(JSON.stringify(json))).toThrow(/batch/);
  });
});

describe('measuredBatchCosts', () => {
  // Stage 0: 0.5 ms + 0.1 ms/sample; stage 1: 1 ms + 0.2; full model: 1 ms + 0.25.
  const latencies = [1, 8, 64].map((batch) => ({
    batch,
    stageMs: [0.5 + 0.1 * batch, 1 + 0.2 * batch],
    fullMs: 1 + 0.25 * batch,
    repeats: 5,
  }));
  const costs = measuredBatchCosts(latencies, setting);

  it('keeps the per-exit costs of the largest batch and fits every stage and the full model', () => {
    expect(costs.exits).toEqual(measuredCosts(latencies[2]!, setting).exits);
    expect(costs.measurement!.batch).toBe(64);
    const model = costs.batchModel!;
    expect(model.batches).toEqual([1, 8, 64]);
    expect(model.stages[0]!.fixed).toBeCloseTo(0.5, 10);
    expect(model.stages[1]!.perSample).toBeCloseTo(0.2, 10);
    expect(model.fullModel.fixed).toBeCloseTo(1, 10);
    expect(model.timings.map((timing) => timing.fullMs)).toEqual([1.25, 3, 17]);
  });

  it('fits the mean times where a record has them (a run pays every pause, not the median call)', () => {
    const withMeans = latencies.map((timed) => ({
      ...timed,
      stageMeanMs: timed.stageMs.map((ms) => 2 * ms),
      fullMeanMs: 2 * timed.fullMs,
    }));
    const fitted = measuredBatchCosts(withMeans, setting);
    expect(fitted.exits).toEqual(costs.exits);
    expect(fitted.batchModel!.stages[0]!.fixed).toBeCloseTo(1, 10);
    expect(fitted.batchModel!.fullModel.perSample).toBeCloseTo(0.5, 10);
  });

  it('needs two batch sizes', () => {
    expect(() => measuredBatchCosts([latencies[0]!], setting)).toThrow(/two or more batch sizes/);
  });

  it('round-trips through a profile; a batch model on costs not in ms is refused', () => {
    const profile = calibrate(syntheticTraces(50, 2, 3, 5), { costs });
    const json = serializeProfile(profile);
    expect(parseProfile(json).costs).toEqual(costs);
    const flops = JSON.parse(json);
    flops.costs.unit = 'flops';
    expect(() => parseProfile(JSON.stringify(flops))).toThrow(/only measured in ms/);
    const short = JSON.parse(json);
    short.costs.batchModel.stages.pop();
    expect(() => parseProfile(JSON.stringify(short))).toThrow(/1 stages for 2 exits/);
  });

  it.each([
    ['a batch inside the measured range', 16, undefined],
    ['a batch beyond it', 128, /batch 1–64, not 128/],
  ])('warns about batch size only beyond the measured range: %s', (_, batch, expected) => {
    const message = describeMeasurementMismatch(costs, { device: 'cpu', threads: 2, batch });
    if (expected === undefined) expect(message).toBeUndefined();
    else expect(message).toMatch(expected);
  });
});

/** A two-stage model and its full model that record which batch sizes they ran, in order. */
function recordingModels(): { model: StagedModel; full: FullModel; calls: string[] } {
  const manifest = handManifest(
    'recording',
    [{ name: 'x', dtype: 'float32', shape: ['batch', 1] }],
    ['a', 'b'],
    [{ consumes: ['x'], produces: ['h'] }, { consumes: ['h'] }],
  );

  const calls: string[] = [];
  const rowsOf = (inputs: TensorMap) => Object.values(inputs)[0]!.shape[0]!;
  const model: StagedModel = {
    manifest,
    stages: 2,
    device: 'cpu',
    async runStage(index: number, inputs: TensorMap): Promise<StageOutput> {
      const rows = rowsOf(inputs);
      calls.push(`s${index}@${rows}`);
      const zeros = new Float32Array(rows * 2);
      return {
        logits: { dtype: 'float32', data: zeros, shape: [rows, 2] },
        tensors: { h: { dtype: 'float32', data: new Float32Array(rows), shape: [rows, 1] } },
      };
    },
    async dispose() {},
  };
  const full = {
    async run(inputs: TensorMap) {
      calls.push(`full@${rowsOf(inputs)}`);
      return { dtype: 'float32', data: new Float32Array(rowsOf(inputs) * 2), shape: [rowsOf(inputs), 2] };
    },
  } as unknown as FullModel;
  return { model, full, calls };
}

const batchOf = (rows: number): TensorMap => ({
  x: { dtype: 'float32', data: new Float32Array(rows), shape: [rows, 1] },
});

describe('measureStageLatenciesAtBatches', () => {
  it('runs every batch’s chain largest first, small batches √(largest/b) times, then the full model likewise', async () => {
    const { model, full, calls } = recordingModels();
    const latencies = await measureStageLatenciesAtBatches(model, [batchOf(4), batchOf(16), batchOf(1)], {
      repeats: 1,
      warmups: 0,
      full,
    });
    const chain = (rows: number) => [`s0@${rows}`, `s1@${rows}`];
    expect(calls).toEqual([
      ...chain(16),
      ...chain(4),
      ...chain(4),
      ...[1, 1, 1, 1].flatMap(chain),
      'full@16',
      'full@4',
      'full@4',
      'full@1',
      'full@1',
      'full@1',
      'full@1',
    ]);
    // One record per batch, in the order given, with medians and means of every stage.
    expect(latencies.map((timed) => timed.batch)).toEqual([4, 16, 1]);
    for (const timed of latencies) {
      expect(timed.stageMs).toHaveLength(2);
      expect(timed.stageMeanMs).toHaveLength(2);
      expect(timed.fullMs).toBeGreaterThanOrEqual(0);
      expect(timed.fullMeanMs).toBeGreaterThanOrEqual(0);
      expect(timed.repeats).toBe(1);
    }
  });

  it('with one batch is measureStageLatencies: each stage once a round, then the full model', async () => {
    const { model, full, calls } = recordingModels();
    const timed = await measureStageLatencies(model, batchOf(8), { repeats: 2, warmups: 1, full });
    expect(calls).toEqual(['s0@8', 's1@8', 'full@8', 's0@8', 's1@8', 'full@8', 's0@8', 's1@8', 'full@8']);
    expect(timed.batch).toBe(8);
  });

  it('refuses no batch at all', async () => {
    const { model } = recordingModels();
    await expect(measureStageLatenciesAtBatches(model, [])).rejects.toThrow(/at least one batch/);
  });
});
