import type {
  CalibrationProfile,
  ExitScores,
  ThresholdPolicyName,
  TunedOperatingPoint,
} from '../calibration/index.js';
import { exitCostsAtBatch, reachShares } from '../cost/index.js';
import { type BudgetTuning, tuneForBudget } from './budget-tuning.js';
import { parseCostBudget } from './cost-budget.js';
import { tunedHoldout } from './tuned-operating-point.js';

/** Options of `tuneBudgetOperatingPoint`. */
export interface BudgetOperatingPointOptions {
  readonly policy: ThresholdPolicyName;
  /** The budget as written: a fraction of the full model (`0.5`, `40%`) or a cost with the profile's unit (see `parseCostBudget`). */
  readonly budget: string;
  /** Search one threshold per exit instead of a single δ. */
  readonly perExit?: boolean;
  /**
   * With a batch cost model: the batch size deployed, whose compacted stage batches the costs
   * charge (default: the largest measured). Ignored without one.
   */
  readonly batch?: number;
  /** Holdout samples the scores come from. */
  readonly holdoutSamples: number;
  /** Content hash of the holdout traces, recorded so the point can be traced to its data. */
  readonly holdoutHash: string | null;
}

/** A budget-mode operating point, and the tuning that chose it. */
export interface BudgetOperatingPoint {
  readonly tuned: TunedOperatingPoint;
  readonly tuning: BudgetTuning;
}

/**
 * The most accurate δ (or per-exit thresholds) whose mean cost on the holdout is within a
 * budget, as the operating point a profile records: an empirical choice, with no guarantee.
 * With a batch cost model the budget is priced at the batch deployed: a fraction of the full
 * model and the cheapest exit both at that batch size.
 *
 * @throws InvalidArgumentError for a budget `parseCostBudget` refuses.
 */
export function tuneBudgetOperatingPoint(
  scores: ExitScores,
  profile: CalibrationProfile,
  options: BudgetOperatingPointOptions,
): BudgetOperatingPoint {
  const batchModel = profile.costs.batchModel;
  const batch = batchModel
    ? (options.batch ?? batchModel.batches[batchModel.batches.length - 1]!)
    : undefined;
  const budgetCosts =
    batch === undefined
      ? profile.costs
      : exitCostsAtBatch(
          profile.costs,
          batchModel!,
          reachShares(profile.costs.exits.map((_, exit) => (exit === 0 ? 1 : 0))),
          batch,
        );
  const budget = {
    ...parseCostBudget(options.budget, budgetCosts),
    ...(batch === undefined ? {} : { batch }),
  };
  const tuning = tuneForBudget(scores, profile, {
    policy: options.policy,
    maxMeanCost: budget.maxMeanCost,
    perExit: options.perExit ?? false,
    ...(batch === undefined ? {} : { batch }),
  });
  const tuned: TunedOperatingPoint = {
    policy: options.policy,
    delta: tuning.exitDeltas ? null : tuning.chosen.delta,
    ...(tuning.exitDeltas ? { exitDeltas: tuning.exitDeltas } : {}),
    abstain: false,
    holdout: tunedHoldout(tuning.chosen, options.holdoutSamples, options.holdoutHash),
    guarantee: null,
    budget,
  };
  return { tuned, tuning };
}
