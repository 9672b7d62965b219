import type { ExitCosts } from '../cost/index.js';
import { InvalidArgumentError } from '../errors/index.js';

/** A mean-cost budget resolved against a profile's costs. */
export interface CostBudget {
  /** Budget in the costs' unit (e.g. FLOPs per sample). */
  readonly maxMeanCost: number;
  /** The same as a fraction of the full model's cost. */
  readonly maxRelativeCost: number;
}

/** SI prefixes accepted before a unit: `5e6flops`, `7mflops`, `1.2gflops`. */
const PREFIXES: Readonly<Record<string, number>> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

/**
 * Parses a cost budget: a bare number is a fraction of the full model's cost (`0.5`),
 * `40%` a percentage, and a number with a unit an absolute mean cost per sample in the
 * profile's unit (`7e6flops`, `7mflops`, `3ms`, `2.5depth`; k/m/g/t prefixes for flops).
 *
 * @throws InvalidArgumentError for malformed text, a non-positive budget, a unit other
 *   than the profile's, or a budget below the cheapest exit (no policy can meet it).
 */
export function parseCostBudget(text: string, costs: ExitCosts): CostBudget {
  const match = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(%|[a-z]*)\s*$/i.exec(text);
  if (!match) {
    throw new InvalidArgumentError(
      `budget "${text}" is not a number; give a fraction of the full model's cost (0.5, 40%) or a cost with a unit (7e6flops, 7mflops, 3ms)`,
    );
  }
  const value = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  let maxMeanCost: number;
  if (unit === '') maxMeanCost = value * costs.fullModel;
  else if (unit === '%') maxMeanCost = (value / 100) * costs.fullModel;
  else maxMeanCost = value * unitScale(unit, costs, text);
  if (!(maxMeanCost > 0) || !Number.isFinite(maxMeanCost)) {
    throw new InvalidArgumentError(`budget "${text}" must be positive`);
  }
  const cheapest = costs.exits[0]!;
  if (maxMeanCost < cheapest) {
    throw new InvalidArgumentError(
      `budget ${text} (${formatCost(maxMeanCost, costs)}) is below the cheapest exit: exit 0 costs ${formatCost(cheapest, costs)} (${(cheapest / costs.fullModel).toFixed(4)} of the full model); raise the budget`,
    );
  }
  return { maxMeanCost, maxRelativeCost: maxMeanCost / costs.fullModel };
}

function unitScale(unit: string, costs: ExitCosts, text: string): number {
  const base = costs.unit === 'custom' ? null : costs.unit;
  if (base !== null) {
    for (const [prefix, scale] of Object.entries(PREFIXES)) {
      if (unit === `${prefix}${base}` && (prefix === '' || base === 'flops')) return scale;
    }
  }
  throw new InvalidArgumentError(
    `budget "${text}" is in "${unit}" but the profile's costs are in ${costs.unit === 'custom' ? 'custom units' : `"${costs.unit}"`}; ${base === null ? 'give a fraction of the full model (e.g. 0.5)' : `give e.g. ${base === 'flops' ? '7e6flops or 7mflops' : `2${base}`}, or a fraction (0.5)`}`,
  );
}

function formatCost(cost: number, costs: ExitCosts): string {
  return `${Number(cost.toPrecision(4))} ${costs.unit}`;
}
