import { describe, expect, it } from 'vitest';
import { calibrate, scoreExits } from '../calibration/index.js';
import type { ExitCosts } from '../cost/index.js';
import { syntheticTraces } from '../test-support/random-traces.js';
import { tuneBudgetOperatingPoint } from './budget-operating-point.js';
import { tuneForBudget } from './budget-tuning.js';
import { parseCostBudget } from './cost-budget.js';

const flops: ExitCosts = { unit: 'flops', exits: [2e6, 5e6, 9e6, 14e6], fullModel: 13.5e6 };

describe('tuneBudgetOperatingPoint', () => {
  const profile = calibrate(syntheticTraces(3000, 4, 5, 21), { costs: flops });
  const holdout = scoreExits(syntheticTraces(2000, 4, 5, 22));
  const base = { policy: 'pcee', budget: '0.5', holdoutSamples: 2000, holdoutHash: 'abc' } as const;

  it.each([false, true])('records what tuneForBudget chose (per exit: %s), with no guarantee', (perExit) => {
    const { tuned, tuning } = tuneBudgetOperatingPoint(holdout, profile, { ...base, perExit });
    const expected = tuneForBudget(holdout, profile, {
      policy: 'pcee',
      maxMeanCost: parseCostBudget('0.5', flops).maxMeanCost,
      perExit,
    });
    expect(tuning.chosen).toEqual(expected.chosen);
    expect(tuned.guarantee).toBeNull();
    expect(tuned.abstain).toBe(false);
    expect(tuned.budget).toEqual(parseCostBudget('0.5', flops));
    expect(tuned.holdout).toMatchObject({
      samples: 2000,
      contentHash: 'abc',
      accuracy: tuning.chosen.accuracy,
    });
    if (tuning.exitDeltas) {
      expect(tuned.delta).toBeNull();
      expect(tuned.exitDeltas).toEqual(tuning.exitDeltas);
    } else {
      expect(tuned.delta).toBe(tuning.chosen.delta);
    }
    expect(tuning.chosen.meanCost).toBeLessThanOrEqual(tuned.budget!.maxMeanCost);
  });

  it('ignores a batch when the costs have no batch cost model', () => {
    const { tuned } = tuneBudgetOperatingPoint(holdout, profile, { ...base, batch: 8 });
    expect(tuned.budget?.batch).toBeUndefined();
  });
});
