import { type ExitCosts, meanCostAtBatch } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import { modelMetadata } from '../oip/model-metadata.js';
import { predictServedCost } from './predicted-cost.js';
import type { ServedModelInfo } from './served-model-info.js';

const fit = (fixed: number, perSample: number) => ({ fixed, perSample, residual: 0 });
const costs: ExitCosts = {
  unit: 'ms',
  exits: [0.2, 0.6],
  fullModel: 0.5,
  batchModel: {
    batches: [1, 64],
    stages: [fit(0.3, 0.1), fit(0.3, 0.3)],
    fullModel: fit(0.3, 0.4),
    timings: [],
  },
};

describe('predictServedCost', () => {
  it('charges the stages for the batches they see at the served exit shares (golden vector, batch 1)', () => {
    // 80 of 100 reference samples leave at exit 0: at batch 1, 0.4 + 0.2 · 0.6 ms per sample.
    const [atOne, atSixtyFour] = predictServedCost(costs, [80, 20], [1, 64])!;
    expect(atOne!.earlyExitMs).toBeCloseTo(0.4 + 0.2 * 0.6, 12);
    expect(atOne!.fullModelMs).toBeCloseTo(0.7, 12);
    expect(atOne!.speedup).toBeCloseTo(0.7 / 0.52, 12);
    const expected = meanCostAtBatch(costs.batchModel!, [80, 20], 64);
    expect(atSixtyFour).toEqual({
      batch: 64,
      earlyExitMs: expected.meanCost,
      fullModelMs: expected.fullModel,
      speedup: expected.fullModel / expected.meanCost,
    });
  });

  it('predicts nothing without a batch cost model or reference exit shares', () => {
    const { batchModel: _, ...perExit } = costs;
    expect(predictServedCost(perExit, [80, 20], [1])).toBeUndefined();
    expect(predictServedCost(costs, undefined, [1])).toBeUndefined();
  });
});

describe('model metadata', () => {
  const info: ServedModelInfo = {
    name: 'm',
    version: 'abc',
    inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 2] }],
    classes: ['a', 'b'],
    exits: 2,
    baseline: false,
  };
  const serving = { policy: 'pcee', delta: 0.9, abstain: false, source: 'options' } as const;
  const limits = { maxSamples: 4, policies: ['pcee' as const], deltaRange: [0, 1] as const };

  it('carries the predicted speedup per batch size when the profile has a batch cost model', () => {
    const predicted = predictServedCost(costs, [80, 20], [1, 64])!;
    const { parameters } = modelMetadata({ ...info, predicted }, serving, limits);
    expect(parameters.predicted_speedup_batch_1).toBeCloseTo(predicted[0]!.speedup, 12);
    expect(parameters.predicted_speedup_batch_64).toBeCloseTo(predicted[1]!.speedup, 12);
    expect(Object.keys(modelMetadata(info, serving, limits).parameters)).not.toContain(
      'predicted_speedup_batch_1',
    );
  });
});
