import type { CalibrationProfile, ExitScores, ThresholdPolicyName } from '../calibration/index.js';
import type { ExitCosts } from '../cost/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import { sweepDeltas } from './delta-sweep.js';
import type { PolicyEvaluation } from './evaluation.js';
import { binExitScores } from './policy.js';

/** Grid resolution used for the confidence baseline, whose breakpoints are every confidence. */
const CONFIDENCE_GRID_STEPS = 1000;

/**
 * The δ values at which a policy's behaviour can change.
 *
 * For pcee and pcee-ws these are exactly the distinct (smoothed) bin accuracies of the
 * non-final exits — at most (L−1)·B values, so searching them is exhaustive. For the
 * confidence baseline every confidence is a breakpoint, so a 0.001 grid is used.
 */
export function candidateDeltas(profile: CalibrationProfile, policy: ThresholdPolicyName): number[] {
  if (policy === 'confidence') {
    return Array.from({ length: CONFIDENCE_GRID_STEPS + 1 }, (_, step) => step / CONFIDENCE_GRID_STEPS);
  }
  const values = new Set<number>([0, 1]);
  profile.diagrams.slice(0, -1).forEach((diagram) => {
    for (const score of binExitScores(diagram, policy)) if (Number.isFinite(score)) values.add(score);
  });
  return Array.from(values).sort((a, b) => a - b);
}

/** Options shared by the searches. */
export interface SearchOptions {
  /** Thresholds to consider; default `candidateDeltas(profile, policy)`. */
  readonly deltas?: readonly number[];
  /** Costs; default the profile's. */
  readonly costs?: ExitCosts;
}

/**
 * The cheapest δ whose accuracy on `scores` (validation traces) reaches `targetAccuracy`;
 * ties on cost go to the more accurate one. Null when no δ reaches the target.
 *
 * @param targetAccuracy in [0, 1].
 */
export function cheapestDeltaForAccuracy(
  scores: ExitScores,
  profile: CalibrationProfile,
  policy: ThresholdPolicyName,
  targetAccuracy: number,
  options: SearchOptions = {},
): PolicyEvaluation | null {
  assertUnitInterval('target accuracy', targetAccuracy);
  const rows = sweepDeltas(
    scores,
    profile,
    policy,
    options.deltas ?? candidateDeltas(profile, policy),
    options.costs,
  );
  return best(
    rows.filter((row) => row.accuracy >= targetAccuracy),
    (a, b) => a.meanCost - b.meanCost || b.accuracy - a.accuracy,
  );
}

/**
 * The most accurate δ whose mean cost stays within `maxRelativeCost` of the full model;
 * ties on accuracy go to the cheaper one. Null when no δ fits the budget.
 *
 * @param maxRelativeCost budget as a fraction of the full-model cost (> 0; 0.5 = half).
 */
export function mostAccurateDeltaWithinBudget(
  scores: ExitScores,
  profile: CalibrationProfile,
  policy: ThresholdPolicyName,
  maxRelativeCost: number,
  options: SearchOptions = {},
): PolicyEvaluation | null {
  if (!(maxRelativeCost > 0) || !Number.isFinite(maxRelativeCost)) {
    throw new InvalidArgumentError(
      `cost budget must be a positive fraction of the full model's cost, got ${maxRelativeCost}`,
    );
  }
  const rows = sweepDeltas(
    scores,
    profile,
    policy,
    options.deltas ?? candidateDeltas(profile, policy),
    options.costs,
  );
  return best(
    rows.filter((row) => row.relativeCost <= maxRelativeCost),
    (a, b) => b.accuracy - a.accuracy || a.meanCost - b.meanCost,
  );
}

/**
 * The accuracy–cost Pareto front: the evaluations no other one beats on both accuracy
 * (higher) and mean cost (lower), sorted by increasing cost.
 */
export function paretoFront(evaluations: readonly PolicyEvaluation[]): PolicyEvaluation[] {
  const sorted = [...evaluations].sort((a, b) => a.meanCost - b.meanCost || b.accuracy - a.accuracy);
  const front: PolicyEvaluation[] = [];
  for (const row of sorted) {
    if (front.length === 0 || row.accuracy > front[front.length - 1]!.accuracy) front.push(row);
  }
  return front;
}

function best(rows: PolicyEvaluation[], compare: (a: PolicyEvaluation, b: PolicyEvaluation) => number) {
  return rows.length === 0 ? null : rows.reduce((winner, row) => (compare(row, winner) < 0 ? row : winner));
}

function assertUnitInterval(what: string, value: number): void {
  if (!(value >= 0 && value <= 1)) {
    throw new InvalidArgumentError(`${what} must be a number in [0, 1], got ${value}`);
  }
}
