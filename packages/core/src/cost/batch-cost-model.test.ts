import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/index.js';
import {
  type BatchCostModel,
  costOfBatches,
  expectedBatchCost,
  fitBatchCostModel,
  reachShares,
  validateBatchCostModel,
} from './batch-cost-model.js';
import type { ExitCosts } from './compute-cost.js';
import { exitCostsAtBatch } from './exit-costs-at-batch.js';

const fit = (fixed: number, perSample: number) => ({ fixed, perSample, residual: 0 });

/** Three stages: 1 ms + 0.1 ms/sample, 2 ms + 0.2, 0.5 ms + 0.05; full model 2 ms + 0.3. */
const model: BatchCostModel = {
  batches: [1, 64],
  stages: [fit(1, 0.1), fit(2, 0.2), fit(0.5, 0.05)],
  fullModel: fit(2, 0.3),
  timings: [],
};
const costs: ExitCosts = { unit: 'ms', exits: [1, 2, 3], fullModel: 3 };

describe('reachShares', () => {
  it('is the share exiting at each stage or later (golden vector)', () => {
    expect(Array.from(reachShares([6, 3, 1]))).toEqual([1, 0.4, 0.1]);
  });

  it.each([
    ['no samples', [0, 0], /at least one sample/],
    ['a negative count', [2, -1], /counts are ≥ 0/],
  ])('rejects %s', (_, counts, message) => {
    expect(() => reachShares(counts)).toThrow(message);
  });
});

describe('expectedBatchCost', () => {
  it('pays every fixed part at once when every sample runs every stage', () => {
    expect(expectedBatchCost(model.stages, [1, 1, 1], 10)).toBeCloseTo(3.5 + 10 * 0.35, 12);
  });

  it('at batch 1 charges each stage to the share that reaches it (golden vector)', () => {
    // 1·(1 + 0.1) + 0.4·(2 + 0.2) + 0.1·(0.5 + 0.05)
    expect(expectedBatchCost(model.stages, [1, 0.4, 0.1], 1)).toBeCloseTo(1.1 + 0.88 + 0.055, 12);
  });

  it('at batch b pays a fixed part with the chance that some sample reaches the stage (golden vector)', () => {
    const expected = 1 + 4 * 0.1 + (1 - 0.6 ** 4) * 2 + 4 * 0.4 * 0.2 + (1 - 0.9 ** 4) * 0.5 + 4 * 0.1 * 0.05;
    expect(expectedBatchCost(model.stages, [1, 0.4, 0.1], 4)).toBeCloseTo(expected, 12);
  });

  it('costs nothing for a stage no sample reaches', () => {
    expect(expectedBatchCost(model.stages, [1, 0, 0], 8)).toBeCloseTo(1 + 0.8, 12);
  });

  it('rejects reach shares of another model and a batch below 1', () => {
    expect(() => expectedBatchCost(model.stages, [1, 1], 4)).toThrow(InvalidArgumentError);
    expect(() => expectedBatchCost(model.stages, [1, 1, 1], 0)).toThrow(/≥ 1/);
  });
});

describe('costOfBatches', () => {
  it('charges each batch the stages its samples reach, the last batch smaller (golden vector)', () => {
    // Batches of 2: [0, 2] reaches stages 0 (2), 1 (1), 2 (1); [0, 0] stage 0 only; [1] stages 0, 1.
    const { earlyExitMs, fullModelMs } = costOfBatches(model, [0, 2, 0, 0, 1], 2);
    const stage = (s: number, n: number) => model.stages[s]!.fixed + n * model.stages[s]!.perSample;
    expect(earlyExitMs).toBeCloseTo(
      stage(0, 2) + stage(1, 1) + stage(2, 1) + stage(0, 2) + stage(0, 1) + stage(1, 1),
      12,
    );
    expect(fullModelMs).toBeCloseTo(2 * (2 + 2 * 0.3) + (2 + 0.3), 12);
  });

  it('rejects an exit outside the model', () => {
    expect(() => costOfBatches(model, [3], 1)).toThrow(/exits 0…2/);
  });
});

describe('exitCostsAtBatch', () => {
  it('charges stage fixed parts to the samples that run them (golden vector, batch 1)', () => {
    const atOne = exitCostsAtBatch(costs, model, [1, 0.4, 0.1], 1);
    // At batch 1 a sample that runs a stage pays its whole fixed part.
    expect(atOne.exits[0]).toBeCloseTo(1.1, 12);
    expect(atOne.exits[1]).toBeCloseTo(1.1 + 2.2, 12);
    expect(atOne.exits[2]).toBeCloseTo(1.1 + 2.2 + 0.55, 12);
    expect(atOne.fullModel).toBeCloseTo(2.3, 12);
    expect(atOne.unit).toBe('ms');
  });

  it('property: the mean exit cost over samples is the expected batch cost per sample', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 1, max: 128 }),
        (counts, batch) => {
          fc.pre(counts.some((count) => count > 0));
          const reach = reachShares(counts);
          const perExit = exitCostsAtBatch(costs, model, reach, batch);
          const total = counts.reduce((sum, count) => sum + count, 0);
          const mean = counts.reduce((sum, count, exit) => sum + count * perExit.exits[exit]!, 0) / total;
          expect(mean).toBeCloseTo(expectedBatchCost(model.stages, reach, batch) / batch, 9);
          // Cumulative costs never fall, and a larger batch never costs a sample more.
          perExit.exits.forEach((cost, exit) => {
            if (exit > 0) expect(cost).toBeGreaterThanOrEqual(perExit.exits[exit - 1]!);
          });
          const larger = exitCostsAtBatch(costs, model, reach, batch + 1);
          expect(larger.exits[2]!).toBeLessThanOrEqual(perExit.exits[2]! + 1e-12);
        },
      ),
    );
  });

  it('property: the expectation is at most the exact cost of the one batch its shares came from', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2, maxLength: 2 }), (exits) => {
        const counts = [0, 0, 0];
        for (const exit of exits) counts[exit]!++;
        // The batch pays every fixed part it reaches; the expectation over independent draws
        // with the same shares can only skip some.
        const exact = costOfBatches(model, exits, 2).earlyExitMs;
        expect(expectedBatchCost(model.stages, reachShares(counts), 2)).toBeLessThanOrEqual(exact + 1e-12);
      }),
    );
  });
});

describe('fitBatchCostModel', () => {
  it('fits every stage and the full model, batch sizes ascending', () => {
    const fitted = fitBatchCostModel([
      { batch: 64, stageMs: [1 + 6.4, 2 + 12.8], fullMs: 2 + 19.2 },
      { batch: 1, stageMs: [1.1, 2.2], fullMs: 2.3 },
    ]);
    expect(fitted.batches).toEqual([1, 64]);
    expect(fitted.stages[0]!.fixed).toBeCloseTo(1, 12);
    expect(fitted.stages[1]!.perSample).toBeCloseTo(0.2, 12);
    expect(fitted.fullModel.perSample).toBeCloseTo(0.3, 12);
    expect(validateBatchCostModel(fitted, 2)).toBe(fitted);
  });

  it.each([
    ['a repeated batch size', [1, 1], /repeat/],
    ['one batch size', [8], /two or more/],
  ])('rejects %s', (_, batches, message) => {
    const timings = batches.map((batch) => ({ batch, stageMs: [1], fullMs: 1 }));
    expect(() => fitBatchCostModel(timings)).toThrow(message);
  });

  it('validation rejects a model of another size or with a negative part', () => {
    expect(() => validateBatchCostModel(model, 4)).toThrow(/3 stages for 4 exits/);
    const broken = { ...model, stages: [fit(-1, 0.1), ...model.stages.slice(1)] };
    expect(() => validateBatchCostModel(broken, 3)).toThrow(/stage 0/);
  });
});
