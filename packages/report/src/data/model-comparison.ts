import {
  type CalibrationProfile,
  compilePolicy,
  type ExitScores,
  evaluatePolicy,
  InvalidArgumentError,
  mostAccurateWithinBudget,
  type PolicyEvaluation,
  type ThresholdPolicyName,
} from '@pcee/core';
import type { ModelReport } from './report-data.js';
import { formatDelta, formatFlops, formatPercent, formatPoints } from './report-format.js';

/** One model as `compareModels` needs it: its report and the data behind it. */
export interface ComparedModel {
  /** Its report (test traces), with costs in the shared unit. */
  readonly report: ModelReport;
  /** Its calibration profile: its bins define the candidate δ. */
  readonly profile: CalibrationProfile;
  /** Its test traces, scored: where the chosen δ is measured. */
  readonly testScores: ExitScores;
  /**
   * Labelled validation traces of the model (e.g. those it was calibrated on; never its test
   * traces), scored: where δ is chosen when this is the larger model. Null when not given.
   */
  readonly validationScores: ExitScores | null;
}

/** The larger model's operating point: δ chosen on validation traces, measured on test traces. */
export interface BudgetOperatingPoint {
  /** The policy's threshold, in [0, 1]. */
  readonly delta: number;
  /** The policy at δ on the validation traces: the most accurate δ whose mean cost there fits the budget. */
  readonly validation: PolicyEvaluation;
  /** The policy at δ on the test traces: what the comparison reports. */
  readonly test: PolicyEvaluation;
  /** True when the test mean cost lands above the budget (δ fit it on validation only). */
  readonly overBudgetOnTest: boolean;
}

/**
 * The paper's question for two models: at the smaller model's full cost, how accurate is
 * the larger one with early exit (pcee)?
 */
export interface ModelComparison {
  /** The model whose full-model cost is lower. */
  readonly smaller: ModelReport;
  readonly larger: ModelReport;
  /** The budget: the smaller model's full-model cost, in the shared unit. */
  readonly budget: number;
  /** Samples of the larger model's validation traces, which chose δ. */
  readonly validationSamples: number;
  /**
   * The larger model's pcee operating point at the budget, chosen on its validation traces;
   * null when no δ fits the budget there (e.g. its first exit alone costs more).
   */
  readonly largerAtBudget: BudgetOperatingPoint | null;
  /** One sentence (two when the test cost exceeds the budget) that states the answer with its numbers. */
  readonly answer: string;
}

/** The two models ordered by full-model cost, cheaper first (the first one on a tie). */
export function orderByCost<T extends { readonly report: ModelReport }>(first: T, second: T): [T, T] {
  return first.report.fullModel.cost <= second.report.fullModel.cost ? [first, second] : [second, first];
}

/**
 * Compares two models on one absolute cost axis.
 *
 * The larger model's δ is chosen on its validation traces, as `pcee tune --budget` chooses
 * (`tuneForBudget`): the most accurate δ whose mean validation cost fits the smaller model's
 * full cost. Accuracy and cost are then measured on its test traces, which choose nothing,
 * so the test cost may land slightly above the budget; the answer says so when it does.
 *
 * @throws InvalidArgumentError when the models' costs are in different units, or the larger
 *   model has no validation scores.
 */
export function compareModels(first: ComparedModel, second: ComparedModel): ModelComparison {
  const [a, b] = [first.report, second.report];
  if (a.costs.unit !== b.costs.unit) {
    throw new InvalidArgumentError(
      `cannot compare costs in ${a.costs.unit} ("${a.modelId}") with costs in ${b.costs.unit} ("${b.modelId}"); calibrate both with --model <model-dir> so their costs are FLOPs (or both with --cost-unit ms on the same device)`,
    );
  }
  const [smaller, larger] = orderByCost(first, second);
  const validation = larger.validationScores;
  if (validation === null) {
    throw new InvalidArgumentError(
      `choosing δ of "${larger.report.modelId}" (the larger model) needs its validation traces: pass them, not its test traces`,
    );
  }
  const budget = smaller.report.fullModel.cost;
  const largerAtBudget = operatingPointAtBudget(larger, budget);
  return {
    smaller: smaller.report,
    larger: larger.report,
    budget,
    validationSamples: validation.samples,
    largerAtBudget,
    answer: describe(smaller.report, larger.report, budget, largerAtBudget),
  };
}

/**
 * The larger model's operating point at a budget: the most accurate δ of `policy` whose mean
 * cost on the validation traces fits `budget` (as `pcee tune --budget` chooses), then that δ
 * on the test traces. Null when no δ fits on validation.
 *
 * @param budget mean cost per sample, in the unit of `model.report.costs`.
 * @param policy pcee (what `compareModels` uses) or another threshold policy.
 * @throws InvalidArgumentError when the model has no validation scores.
 */
export function operatingPointAtBudget(
  model: ComparedModel,
  budget: number,
  policy: ThresholdPolicyName = 'pcee',
): BudgetOperatingPoint | null {
  const validation = model.validationScores;
  if (validation === null) {
    throw new InvalidArgumentError(
      `choosing δ of "${model.report.modelId}" at a budget needs its validation traces: pass them, not its test traces`,
    );
  }
  const { costs } = model.report;
  const chosen = mostAccurateWithinBudget(validation, model.profile, { policy, maxMeanCost: budget, costs });
  if (chosen === null) return null;
  const delta = chosen.delta!;
  const test = evaluatePolicy(model.testScores, compilePolicy(model.profile, policy, delta), costs);
  return { delta, validation: chosen, test, overBudgetOnTest: test.meanCost > budget };
}

function describe(
  smaller: ModelReport,
  larger: ModelReport,
  budget: number,
  point: BudgetOperatingPoint | null,
): string {
  const unit = smaller.costs.unit;
  const budgetText = formatFlops(budget, unit);
  if (!point) {
    const firstExit = larger.costs.exits[0]!;
    return firstExit > budget
      ? `At the full cost of ${smaller.modelId} (${budgetText}), ${larger.modelId} cannot run even with early exit: its first exit alone costs ${formatFlops(firstExit, unit)}.`
      : `At the full cost of ${smaller.modelId} (${budgetText}), ${larger.modelId} cannot run with PCEE early exit: no δ keeps its mean cost on its validation traces within that budget.`;
  }
  const { test } = point;
  const gain = test.accuracy - smaller.fullModel.accuracy;
  const verdict =
    gain >= 0 ? `${formatPoints(gain)} points more than` : `${formatPoints(-gain)} points less than`;
  const over = point.overBudgetOnTest
    ? ` On the test traces its mean cost lands above the budget (${formatFlops(test.meanCost, unit)} > ${budgetText}); on the validation traces it was ${formatFlops(point.validation.meanCost, unit)}.`
    : '';
  return (
    `At the full cost of ${smaller.modelId} (${budgetText}), ${larger.modelId} with PCEE early exit ` +
    `(δ = ${formatDelta(point.delta)}, chosen on validation data) reaches ${formatPercent(test.accuracy)} test accuracy at ${formatFlops(test.meanCost, unit)} on average: ` +
    `${verdict} ${smaller.modelId} (${formatPercent(smaller.fullModel.accuracy)}), ` +
    `and ${formatPercent(test.meanCost / larger.fullModel.cost, 0)} of the cost of ${larger.modelId} without early exit (${formatPercent(larger.fullModel.accuracy)}).${over}`
  );
}
