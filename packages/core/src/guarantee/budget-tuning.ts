import type { CalibrationProfile, ExitScores, ThresholdPolicyName } from '../calibration/index.js';
import type { ExitCosts } from '../cost/index.js';
import { exitCostsAtBatch, meanCostAtBatch, reachShares } from '../cost/index.js';
import { hint, InvalidArgumentError } from '../errors/index.js';
import {
  binExitScores,
  candidateDeltas,
  compilePolicy,
  evaluatePolicy,
  type PolicyEvaluation,
  rowExitScores,
  sweepDeltas,
} from '../policy/index.js';
import { searchExitThresholds } from './per-exit-search.js';

/** Options of `tuneForBudget`. */
export interface BudgetTuningOptions {
  /** Policy to tune (default `pcee`). */
  readonly policy?: ThresholdPolicyName;
  /** Mean cost allowed per sample, in the costs' unit (see `parseCostBudget`). */
  readonly maxMeanCost: number;
  /** Search one threshold per exit (coordinate search) instead of one δ. */
  readonly perExit?: boolean;
  /** Costs; default the profile's. */
  readonly costs?: ExitCosts;
  /**
   * Samples per batch deployed, for costs with a batch cost model (`costs.batchModel`): each δ's
   * mean cost is then what batches of this size pay after compaction (`meanCostAtBatch`), and
   * `maxMeanCost` is in those terms. Without it, the per-exit costs are used as they are.
   */
  readonly batch?: number;
}

/** What `tuneForBudget` found, on the holdout. */
export interface BudgetTuning {
  readonly policy: ThresholdPolicyName;
  /** The most accurate single δ within budget. */
  readonly single: PolicyEvaluation;
  /** With `perExit`: the per-exit thresholds (one per exit; the last one is unused) and their evaluation. */
  readonly perExit?: { readonly exitDeltas: readonly number[]; readonly evaluation: PolicyEvaluation };
  /** The operating point to deploy: `perExit` when searched, else `single`. */
  readonly chosen: PolicyEvaluation;
  /** `chosen`'s per-exit thresholds, when per-exit. */
  readonly exitDeltas?: readonly number[];
}

/**
 * The most accurate operating point whose mean cost on the holdout stays within budget:
 * a single δ (exhaustive over `candidateDeltas`), or with `perExit` one threshold per exit
 * (`searchExitThresholds`, started from that δ, so never worse on the holdout).
 * This is an empirical choice on the holdout, not a guarantee: expect the deployed cost to
 * scatter around the budget by the holdout's sampling noise.
 *
 * @throws InvalidArgumentError when no δ fits the budget.
 */
export function tuneForBudget(
  holdout: ExitScores,
  profile: CalibrationProfile,
  options: BudgetTuningOptions,
): BudgetTuning {
  const policy = options.policy ?? 'pcee';
  const costs = options.costs ?? profile.costs;
  const { maxMeanCost } = options;
  const deltas = candidateDeltas(profile, policy);
  const atBatch = batchPricing(costs, options.batch);
  const rows = sweepDeltas(holdout, profile, policy, deltas, costs).map(atBatch);
  const single = mostAccurateRowWithin(rows, maxMeanCost);
  if (single === null) {
    const cheapest = rows.reduce((winner, row) => (row.meanCost < winner.meanCost ? row : winner));
    throw new InvalidArgumentError(
      `no δ of policy ${policy} fits a mean cost of ${Number(maxMeanCost.toPrecision(4))} ${costs.unit}: the cheapest (δ=${cheapest.delta}) costs ${Number(cheapest.meanCost.toPrecision(4))} on the holdout; raise the budget`,
    );
  }
  if (!options.perExit) return { policy, single, chosen: single };
  const exits = profile.diagrams.length;
  const candidates = profile.diagrams.slice(0, -1).map((diagram) => {
    if (policy === 'confidence') return deltas;
    const values = new Set([0, 1, single.delta!]);
    for (const score of binExitScores(diagram, policy)) if (Number.isFinite(score)) values.add(score);
    return Array.from(values).sort((a, b) => a - b);
  });
  const thresholds = searchExitThresholds(
    {
      samples: holdout.samples,
      exits,
      rowScore: rowExitScores(holdout, profile, policy),
      correct: holdout.correct,
      // The search weighs exits linearly: with a batch cost model, at the per-exit costs the
      // single δ's exits make at this batch (exact there, close nearby); the result is priced
      // exactly below.
      costs:
        costs.batchModel && options.batch !== undefined
          ? exitCostsAtBatch(costs, costs.batchModel, reachShares(single.exitCounts), options.batch)
          : costs,
    },
    {
      candidates,
      maxMeanCost,
      start: new Array<number>(exits - 1).fill(single.delta!),
      seeds: rows.map((row) => new Array<number>(exits - 1).fill(row.delta!)),
    },
  );
  // The last exit's threshold only matters with abstention; keep the single δ there.
  const exitDeltas = [...thresholds, single.delta!];
  const evaluation = atBatch(evaluatePolicy(holdout, compilePolicy(profile, policy, exitDeltas), costs));
  return { policy, single, perExit: { exitDeltas, evaluation }, chosen: evaluation, exitDeltas };
}

/**
 * The most accurate single δ whose mean cost on `holdout` fits `options.maxMeanCost` (ties:
 * the cheaper), over every δ where the policy can change; null when no δ fits (e.g. the first
 * exit alone costs more). `tuneForBudget`'s single-δ search, for callers that compare models
 * and treat "nothing fits" as an answer rather than a user error.
 */
export function mostAccurateWithinBudget(
  holdout: ExitScores,
  profile: CalibrationProfile,
  options: Omit<BudgetTuningOptions, 'perExit'>,
): PolicyEvaluation | null {
  const policy = options.policy ?? 'pcee';
  const costs = options.costs ?? profile.costs;
  const rows = sweepDeltas(holdout, profile, policy, candidateDeltas(profile, policy), costs).map(
    batchPricing(costs, options.batch),
  );
  return mostAccurateRowWithin(rows, options.maxMeanCost);
}

/**
 * Re-prices an evaluation at a batch size with the costs' batch cost model (identity without
 * a batch size).
 *
 * @throws InvalidArgumentError for a batch size with costs that have no batch cost model.
 */
function batchPricing(
  costs: ExitCosts,
  batch: number | undefined,
): (row: PolicyEvaluation) => PolicyEvaluation {
  if (batch === undefined) return (row) => row;
  const model = costs.batchModel;
  if (!model) {
    throw new InvalidArgumentError(`a budget at batch ${batch} needs costs measured at several batch sizes`, {
      hint: hint('measure-batch-cost-model'),
    });
  }
  return (row) => {
    const { meanCost, fullModel } = meanCostAtBatch(model, row.exitCounts, batch);
    return { ...row, meanCost, relativeCost: meanCost / fullModel };
  };
}

/** The most accurate row whose mean cost fits `maxMeanCost` (ties: the cheaper); null when none. */
function mostAccurateRowWithin(
  rows: readonly PolicyEvaluation[],
  maxMeanCost: number,
): PolicyEvaluation | null {
  const within = rows.filter((row) => row.meanCost <= maxMeanCost * (1 + 1e-12));
  if (within.length === 0) return null;
  return within.reduce((winner, row) =>
    row.accuracy > winner.accuracy || (row.accuracy === winner.accuracy && row.meanCost < winner.meanCost)
      ? row
      : winner,
  );
}
