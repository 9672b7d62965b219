import {
  calibrate,
  compilePolicy,
  createTraces,
  type ExitCosts,
  evaluatePolicy,
  InvalidArgumentError,
  type Traces,
  tuneForBudget,
} from '@pcee/core';
import { syntheticTraces } from '@pcee/core/testing';
import { describe, expect, it } from 'vitest';
import { type ComparedModel, compareModels } from './model-comparison.js';
import { modelReportFrom } from './model-report-from.js';

const smallCosts: ExitCosts = { unit: 'flops', exits: [1e6, 2e6, 3e6, 4e6], fullModel: 3.9e6 };
const largeCosts: ExitCosts = { unit: 'flops', exits: [1.5e6, 3e6, 5e6, 8e6], fullModel: 7.8e6 };

/** `traces` with every logit times `scale`: below 1, less confident, so PCEE exits later. */
function scaled(traces: Traces, scale: number): Traces {
  const logits = Float32Array.from(traces.logits, (value) => value * scale);
  return createTraces(logits, traces.labels, traces);
}

/** A model calibrated on `validation` (which also chooses its δ), reported on `test`. */
async function model(
  id: string,
  costs: ExitCosts,
  validation: Traces,
  test: Traces,
  withValidation = true,
): Promise<ComparedModel> {
  const profile = calibrate(validation, { costs, model: { id, fingerprint: null } });
  return modelReportFrom(profile, test, `${id}-test.npz`, {
    validation: withValidation ? { traces: validation, name: `${id}-val.npz` } : undefined,
  });
}

const small = await model(
  'small',
  smallCosts,
  syntheticTraces(2000, 4, 5, 11),
  syntheticTraces(2000, 4, 5, 12),
);
const large = await model(
  'large',
  largeCosts,
  syntheticTraces(2000, 4, 5, 21),
  syntheticTraces(2000, 4, 5, 22),
);

/** The rule this comparison replaced: the most accurate δ of the TEST curve within budget. */
function bestOnTestCurve(larger: ComparedModel, budget: number): number {
  const fitting = larger.report.tradeoff.pcee.filter((row) => row.meanCost <= budget);
  return fitting.reduce((best, row) => (row.accuracy > best.accuracy ? row : best)).delta!;
}

describe('compareModels', () => {
  it('chooses δ on the validation traces, even where the test curve would prefer another, and measures it on test', () => {
    const comparison = compareModels(large, small);
    const budget = smallCosts.fullModel;
    expect(comparison.budget).toBe(budget);
    expect(comparison.smaller.modelId).toBe('small');
    const onValidation = tuneForBudget(large.validationScores!, large.profile, { maxMeanCost: budget });
    const point = comparison.largerAtBudget!;
    // The case is only a test of the rule if the two rules disagree here.
    expect(bestOnTestCurve(large, budget)).not.toBe(onValidation.chosen.delta);
    expect(point.delta).toBe(onValidation.chosen.delta);
    expect(point.validation).toEqual(onValidation.chosen);
    expect(point.validation.meanCost).toBeLessThanOrEqual(budget);
    expect(point.test).toEqual(
      evaluatePolicy(large.testScores, compilePolicy(large.profile, 'pcee', point.delta), largeCosts),
    );
    expect(point.overBudgetOnTest).toBe(point.test.meanCost > budget);
    expect(comparison.validationSamples).toBe(2000);
    expect(comparison.answer).toMatch(
      /^At the full cost of small \(3\.90 MFLOPs\), large with PCEE early exit \(δ = [\d.]+, chosen on validation data\) reaches \d+\.\d% test accuracy at \d\.\d\d MFLOPs on average: \d+\.\d points (more|less) than small/,
    );
  });

  it('is the same comparison whichever model comes first', () => {
    expect(compareModels(small, large)).toEqual(compareModels(large, small));
  });

  it('says so when the δ chosen on validation costs more than the budget on test', async () => {
    const validation = syntheticTraces(2000, 4, 5, 21);
    // Test data the model is less sure of: the same δ exits later, so it costs more there.
    const harder = await model('large', largeCosts, validation, scaled(syntheticTraces(2000, 4, 5, 22), 0.6));
    const point = compareModels(harder, small).largerAtBudget!;
    expect(point.validation.meanCost).toBeLessThanOrEqual(smallCosts.fullModel);
    expect(point.test.meanCost).toBeGreaterThan(smallCosts.fullModel);
    expect(point.overBudgetOnTest).toBe(true);
    expect(compareModels(harder, small).answer).toMatch(
      /On the test traces its mean cost lands above the budget \(\d\.\d\d MFLOPs > 3\.90 MFLOPs\); on the validation traces it was \d\.\d\d MFLOPs\.$/,
    );
  });

  it('has no operating point when even the first exit costs more than the budget', async () => {
    const tiny = await model(
      'tiny',
      { unit: 'flops', exits: [0.2e6, 0.4e6, 0.6e6, 0.8e6], fullModel: 0.8e6 },
      syntheticTraces(500, 4, 5, 31),
      syntheticTraces(500, 4, 5, 32),
    );
    const comparison = compareModels(large, tiny);
    expect(comparison.largerAtBudget).toBeNull();
    expect(comparison.answer).toBe(
      'At the full cost of tiny (800.00 kFLOPs), large cannot run even with early exit: its first exit alone costs 1.50 MFLOPs.',
    );
  });

  it.each([
    [
      'the larger model without validation traces',
      async () => [
        await model(
          'large',
          largeCosts,
          syntheticTraces(500, 4, 5, 21),
          syntheticTraces(500, 4, 5, 22),
          false,
        ),
        small,
      ],
      /choosing δ of "large" \(the larger model\) needs its validation traces/,
    ],
    [
      'costs in another unit',
      async () => [
        await model(
          'depth',
          { unit: 'depth', exits: [1, 2, 3, 4], fullModel: 4 },
          syntheticTraces(500, 4, 5, 41),
          syntheticTraces(500, 4, 5, 42),
        ),
        small,
      ],
      /cannot compare costs in depth \("depth"\) with costs in flops \("small"\)/,
    ],
  ])('%s is an InvalidArgumentError', async (_name, models, message) => {
    const [first, second] = (await models()) as [ComparedModel, ComparedModel];
    expect(() => compareModels(first, second)).toThrow(InvalidArgumentError);
    expect(() => compareModels(first, second)).toThrow(message);
  });

  it('only the larger model needs validation traces', async () => {
    const smallWithout = await model(
      'small',
      smallCosts,
      syntheticTraces(500, 4, 5, 11),
      syntheticTraces(500, 4, 5, 12),
      false,
    );
    expect(compareModels(large, smallWithout).largerAtBudget).not.toBeNull();
  });
});
