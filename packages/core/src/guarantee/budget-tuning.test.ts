import { describe, expect, it } from 'vitest';
import { calibrate, scoreExits } from '../calibration/index.js';
import type { ExitCosts } from '../cost/index.js';
import { meanCostAtBatch } from '../cost/index.js';
import { PceeError } from '../errors/index.js';
import { binExitScores, compilePolicy, evaluatePolicy, rowExitScores } from '../policy/index.js';
import { syntheticTraces } from '../test-support/random-traces.js';
import { mostAccurateWithinBudget, tuneForBudget } from './budget-tuning.js';
import { parseCostBudget } from './cost-budget.js';
import { evaluateThresholds, searchExitThresholds } from './per-exit-search.js';

const flops: ExitCosts = { unit: 'flops', exits: [2e6, 5e6, 9e6, 14e6], fullModel: 13.5e6 };

describe('parseCostBudget', () => {
  it.each([
    ['0.5', 0.5 * 13.5e6],
    ['40%', 0.4 * 13.5e6],
    ['7e6flops', 7e6],
    ['7mflops', 7e6],
    ['7MFLOPs', 7e6],
    ['0.007gflops', 7e6],
    ['2500kflops', 2.5e6],
    ['1.2', 1.2 * 13.5e6],
  ])('"%s" is a mean cost of %d FLOPs', (text, expected) => {
    const budget = parseCostBudget(text, flops);
    expect(budget.maxMeanCost).toBeCloseTo(expected, 3);
    expect(budget.maxRelativeCost).toBeCloseTo(expected / 13.5e6, 12);
  });

  it.each([
    ['abc', /not a number/],
    ['0', /below the cheapest exit|positive/],
    ['-0.5', /not a number/],
    ['3ms', /in "ms" but the profile's costs are in "flops"/],
    ['1e6flops', /below the cheapest exit: exit 0 costs 2000000 flops/],
    ['0.1', /below the cheapest exit/],
  ])('"%s" is a one-line PceeError (%s)', (text, message) => {
    expect(() => parseCostBudget(text, flops)).toThrow(PceeError);
    expect(() => parseCostBudget(text, flops)).toThrow(message);
  });

  it('depth costs take a depth unit, custom costs only fractions', () => {
    expect(parseCostBudget('2.5depth', { unit: 'depth', exits: [1, 2, 3], fullModel: 3 }).maxMeanCost).toBe(
      2.5,
    );
    expect(() => parseCostBudget('2custom', { unit: 'custom', exits: [1, 2], fullModel: 2 })).toThrow(
      /fraction/,
    );
  });
});

describe('tuneForBudget', () => {
  const profile = calibrate(syntheticTraces(3000, 4, 5, 21), { costs: flops });
  const holdout = scoreExits(syntheticTraces(3000, 4, 5, 22));

  it('picks the most accurate single δ within budget, and per-exit thresholds that are never worse', () => {
    const budget = 0.5 * flops.fullModel;
    const tuning = tuneForBudget(holdout, profile, { maxMeanCost: budget, perExit: true });
    expect(tuning.single.meanCost).toBeLessThanOrEqual(budget);
    expect(tuning.chosen.meanCost).toBeLessThanOrEqual(budget * (1 + 1e-12));
    expect(tuning.chosen.accuracy).toBeGreaterThanOrEqual(tuning.single.accuracy);
    // The reported evaluation is the compiled per-exit policy's, as the runner will run it.
    const direct = evaluatePolicy(holdout, compilePolicy(profile, 'pcee', tuning.exitDeltas!), flops);
    expect(tuning.chosen).toEqual(direct);
    expect(tuning.exitDeltas).toHaveLength(4);
  });

  it('without --per-exit it returns the single δ', () => {
    const tuning = tuneForBudget(holdout, profile, { maxMeanCost: 0.6 * flops.fullModel });
    expect(tuning.chosen).toBe(tuning.single);
    expect(tuning.perExit).toBeUndefined();
  });

  it('a budget no δ fits is a PceeError naming the cheapest cost', () => {
    expect(() => tuneForBudget(holdout, profile, { maxMeanCost: 2e6 })).toThrow(/no δ of policy pcee fits/);
  });
});

describe('searchExitThresholds', () => {
  it('with two non-final exits its pair moves are exhaustive: it finds the brute-force optimum', () => {
    const costs: ExitCosts = { unit: 'flops', exits: [1, 2.5, 4], fullModel: 3.8 };
    for (const seed of [31, 32, 33]) {
      const profile = calibrate(syntheticTraces(800, 3, 4, seed), { costs, bins: 8 });
      const holdout = scoreExits(syntheticTraces(800, 3, 4, seed + 100));
      const data = {
        samples: holdout.samples,
        exits: 3,
        rowScore: rowExitScores(holdout, profile, 'pcee'),
        correct: holdout.correct,
        costs,
      };
      const candidates = profile.diagrams
        .slice(0, -1)
        .map((diagram) =>
          Array.from(
            new Set([0, 1, ...Array.from(binExitScores(diagram, 'pcee')).filter(Number.isFinite)]),
          ).sort((a, b) => a - b),
        );
      const maxMeanCost = 2;
      let optimum = { correct: -1, cost: 0 };
      for (const first of candidates[0]!) {
        for (const second of candidates[1]!) {
          const totals = evaluateThresholds(data, [first, second]);
          if (
            totals.cost <= maxMeanCost * holdout.samples &&
            (totals.correct > optimum.correct ||
              (totals.correct === optimum.correct && totals.cost < optimum.cost))
          ) {
            optimum = totals;
          }
        }
      }
      const found = searchExitThresholds(data, { candidates, maxMeanCost, start: [0, 0] });
      expect(evaluateThresholds(data, found)).toEqual(optimum);
    }
  });
});

describe('mostAccurateWithinBudget', () => {
  const profile = calibrate(syntheticTraces(3000, 4, 5, 21), { costs: flops });
  const holdout = scoreExits(syntheticTraces(3000, 4, 5, 22));

  it.each(['pcee', 'confidence'] as const)("is tuneForBudget's single δ (%s)", (policy) => {
    const maxMeanCost = 0.5 * flops.fullModel;
    expect(mostAccurateWithinBudget(holdout, profile, { policy, maxMeanCost })).toEqual(
      tuneForBudget(holdout, profile, { policy, maxMeanCost }).single,
    );
  });

  it('is null where tuneForBudget refuses: a budget below the first exit', () => {
    const maxMeanCost = 0.5 * flops.exits[0]!;
    expect(mostAccurateWithinBudget(holdout, profile, { maxMeanCost })).toBeNull();
    expect(() => tuneForBudget(holdout, profile, { maxMeanCost })).toThrow(/no δ of policy pcee fits/);
  });
});

describe('tuneForBudget with a batch cost model', () => {
  const fit = (fixed: number, perSample: number) => ({ fixed, perSample, residual: 0 });
  const measured: ExitCosts = {
    unit: 'ms',
    exits: [0.2, 0.5, 0.9, 1.4],
    fullModel: 1.3,
    batchModel: {
      batches: [1, 64],
      // Large fixed parts: at batch 1 every stage a sample reaches costs it a whole run.
      stages: [fit(0.5, 0.2), fit(0.5, 0.3), fit(0.5, 0.4), fit(0.5, 0.5)],
      fullModel: fit(0.5, 1.3),
      timings: [],
    },
  };
  const traces = syntheticTraces(400, 4, 3, 11);
  const profile = calibrate(traces, { costs: measured });
  const holdout = scoreExits(syntheticTraces(400, 4, 3, 12), profile.confidence);

  it.each([1, 8, 64])('prices every δ at batch %i after compaction, and stays within budget', (batch) => {
    const tuning = tuneForBudget(holdout, profile, { maxMeanCost: 1.2, batch });
    const priced = meanCostAtBatch(measured.batchModel!, tuning.chosen.exitCounts, batch);
    expect(tuning.chosen.meanCost).toBeCloseTo(priced.meanCost, 12);
    expect(tuning.chosen.relativeCost).toBeCloseTo(priced.meanCost / priced.fullModel, 12);
    expect(tuning.chosen.meanCost).toBeLessThanOrEqual(1.2 * (1 + 1e-12));
  });

  it('with --per-exit prices the final thresholds at the batch too', () => {
    const tuning = tuneForBudget(holdout, profile, { maxMeanCost: 1.2, batch: 4, perExit: true });
    const priced = meanCostAtBatch(measured.batchModel!, tuning.chosen.exitCounts, 4);
    expect(tuning.chosen.meanCost).toBeCloseTo(priced.meanCost, 12);
  });

  it('refuses a batch size for costs without a batch cost model', () => {
    const flat = calibrate(traces, { costs: flops });
    expect(() => tuneForBudget(holdout, flat, { maxMeanCost: 9e6, batch: 8 })).toThrow(
      /needs costs measured at several batch sizes/,
    );
  });
});
