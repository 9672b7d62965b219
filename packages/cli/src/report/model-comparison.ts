import type { PolicyEvaluation } from '@pcee/core';
import { InvalidArgumentError } from '@pcee/core';
import type { ModelReport } from './report-data.js';
import { formatDelta, formatFlops, formatPercent, formatPoints } from './report-format.js';

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
  /**
   * The most accurate pcee operating point of the larger model whose mean test cost fits
   * the budget; null when even its first exit costs more.
   */
  readonly largerWithinBudget: PolicyEvaluation | null;
  /** One sentence that states the answer with its numbers. */
  readonly answer: string;
}

/**
 * Compares two models on one absolute cost axis.
 *
 * The larger model's operating point is chosen on the same test traces it is reported on
 * (the most accurate δ within budget), so it is the best the curve offers, not a held-out
 * choice of δ; the report says so.
 *
 * @throws InvalidArgumentError when the models' costs are in different units.
 */
export function compareModels(first: ModelReport, second: ModelReport): ModelComparison {
  if (first.costs.unit !== second.costs.unit) {
    throw new InvalidArgumentError(
      `cannot compare costs in ${first.costs.unit} ("${first.modelId}") with costs in ${second.costs.unit} ("${second.modelId}"); calibrate both with --model <model-dir> so their costs are FLOPs (or both with --cost-unit ms on the same device)`,
    );
  }
  const [smaller, larger] = first.fullModel.cost <= second.fullModel.cost ? [first, second] : [second, first];
  const budget = smaller.fullModel.cost;
  const fitting = larger.tradeoff.pcee.filter((row) => row.meanCost <= budget);
  const largerWithinBudget =
    fitting.length === 0
      ? null
      : fitting.reduce((best, row) =>
          row.accuracy > best.accuracy || (row.accuracy === best.accuracy && row.meanCost < best.meanCost)
            ? row
            : best,
        );
  return {
    smaller,
    larger,
    budget,
    largerWithinBudget,
    answer: describe(smaller, larger, budget, largerWithinBudget),
  };
}

function describe(
  smaller: ModelReport,
  larger: ModelReport,
  budget: number,
  point: PolicyEvaluation | null,
): string {
  const unit = smaller.costs.unit;
  const budgetText = formatFlops(budget, unit);
  if (!point) {
    return `At the full cost of ${smaller.modelId} (${budgetText}), ${larger.modelId} cannot run even with early exit: its first exit alone costs ${formatFlops(larger.costs.exits[0]!, unit)}.`;
  }
  const gain = point.accuracy - smaller.fullModel.accuracy;
  const verdict =
    gain >= 0 ? `${formatPoints(gain)} points more than` : `${formatPoints(-gain)} points less than`;
  return (
    `At the full cost of ${smaller.modelId} (${budgetText}), ${larger.modelId} with PCEE early exit ` +
    `(δ = ${formatDelta(point.delta)}) reaches ${formatPercent(point.accuracy)} test accuracy at ${formatFlops(point.meanCost, unit)} on average: ` +
    `${verdict} ${smaller.modelId} (${formatPercent(smaller.fullModel.accuracy)}), ` +
    `and ${formatPercent(point.meanCost / larger.fullModel.cost, 0)} of the cost of ${larger.modelId} without early exit (${formatPercent(larger.fullModel.accuracy)}).`
  );
}
