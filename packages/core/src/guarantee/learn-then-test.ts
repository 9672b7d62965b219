import type { CalibrationProfile, ExitScores, ThresholdPolicyName } from '../calibration/index.js';
import type { ExitCosts } from '../cost/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { PolicyEvaluation } from '../policy/index.js';
import { binExitScores, candidateDeltas, sweepDeltas } from '../policy/index.js';
import { errorRatePValue } from './binomial-tail.js';
import { assertRisk, assertTargetAccuracy, fixedSequenceRejections } from './fixed-sequence.js';

/** Name of the method, as recorded in tuned profiles and printed by `pcee tune`. */
export const GUARANTEE_METHOD = 'learn-then-test, fixed sequence, exact binomial (Clopper-Pearson)';

/** Options of `tuneForAccuracy`. */
export interface AccuracyTuningOptions {
  /** Policy to tune (default `pcee`). */
  readonly policy?: ThresholdPolicyName;
  /** The accuracy to guarantee, a in (0, 1]. With `abstain`, the selective accuracy. */
  readonly targetAccuracy: number;
  /** α in (0, 1): the guarantee holds with probability ≥ 1 − α over the holdout draw (default 0.05). */
  readonly risk?: number;
  /** Guarantee the accuracy of the answered samples, abstaining at the last exit below δ. */
  readonly abstain?: boolean;
  /** Candidate thresholds; default `tuningCandidates(profile, policy, abstain)`. */
  readonly deltas?: readonly number[];
  /** Costs; default the profile's. */
  readonly costs?: ExitCosts;
}

/** One tested hypothesis "the (selective) error rate at δ exceeds 1 − a". */
export interface ThresholdTest {
  readonly delta: number;
  /** Wrong answers on the holdout (abstentions are not answers). */
  readonly errors: number;
  /** Answers on the holdout: every sample, or the answered ones with abstention. */
  readonly trials: number;
  /** Exact binomial p-value; ≤ α rejects the hypothesis, certifying δ. */
  readonly pValue: number;
  readonly evaluation: PolicyEvaluation;
}

/** What `tuneForAccuracy` found. */
export interface AccuracyTuning {
  readonly policy: ThresholdPolicyName;
  readonly targetAccuracy: number;
  readonly risk: number;
  readonly abstain: boolean;
  /** The cheapest certified δ on the holdout; null when the first test already failed. */
  readonly chosen: PolicyEvaluation | null;
  /** The tests run, strict to loose, up to and including the first that was not rejected. */
  readonly tests: readonly ThresholdTest[];
  /** How many of `tests` were rejected (certified). */
  readonly certified: number;
  /** Candidates in the test sequence (all strict-to-loose δ from the starting point). */
  readonly sequenceLength: number;
  /** The candidate with the highest (selective) holdout accuracy, for messages when nothing is certified. */
  readonly best: PolicyEvaluation;
  /**
   * When nothing is certified: about how many holdout samples in all would let the first
   * test pass at the same error rate; null when no amount would (its error rate is ≥ 1 − a).
   */
  readonly holdoutSamplesNeeded: number | null;
  readonly holdoutSamples: number;
}

/**
 * The cheapest δ whose deployed (selective) accuracy is at least `targetAccuracy` with
 * probability ≥ 1 − α over the draw of the holdout set (Learn-then-Test, Angelopoulos et
 * al. 2021). For each candidate δ from strict to loose, the null "error rate > 1 − a" is
 * tested with the exact binomial p-value on the holdout; fixed-sequence testing stops at
 * the first δ not rejected. Every rejected δ is certified simultaneously, so the cheapest
 * of them (by holdout mean cost) is returned.
 *
 * Valid when the holdout samples and the deployment samples are exchangeable (i.i.d. from
 * one distribution) and the profile was calibrated on other data; not under distribution
 * shift. With abstention, the guarantee is on the accuracy of the answered samples.
 *
 * @param holdout scored holdout traces (`scoreExits` with the profile's confidence measure),
 *   disjoint from the calibration data.
 */
export function tuneForAccuracy(
  holdout: ExitScores,
  profile: CalibrationProfile,
  options: AccuracyTuningOptions,
): AccuracyTuning {
  const policy = options.policy ?? 'pcee';
  const abstain = options.abstain ?? false;
  assertTargetAccuracy(options.targetAccuracy);
  assertRisk(options.risk ?? 0.05);
  const candidates = [...(options.deltas ?? tuningCandidates(profile, policy, abstain))];
  const rows = sweepDeltas(holdout, profile, policy, candidates, options.costs ?? profile.costs, { abstain });
  return certifyEvaluations(rows, holdout.samples, profile, { ...options, policy, abstain });
}

/**
 * The testing half of `tuneForAccuracy`, on holdout evaluations already computed (one per
 * candidate δ, e.g. by `sweepDeltas` with the same abstention setting): for callers that
 * tune several targets on one holdout.
 *
 * @param rows evaluations of the candidate δ on the holdout, any order.
 * @param holdoutSamples holdout size.
 */
export function certifyEvaluations(
  rows: readonly PolicyEvaluation[],
  holdoutSamples: number,
  profile: CalibrationProfile,
  options: AccuracyTuningOptions,
): AccuracyTuning {
  const policy = options.policy ?? 'pcee';
  const risk = options.risk ?? 0.05;
  const abstain = options.abstain ?? false;
  const { targetAccuracy } = options;
  assertTargetAccuracy(targetAccuracy);
  assertRisk(risk);
  if (rows.length === 0) throw new InvalidArgumentError('no candidate δ to test');
  const maxErrorRate = 1 - targetAccuracy;
  const sorted = [...rows].sort((a, b) => b.delta! - a.delta!);
  const start = sequenceStart(
    profile,
    policy,
    sorted.map((row) => row.delta!),
    holdoutSamples,
    maxErrorRate,
    risk,
    abstain,
  );
  // Strict to loose, stopping at the first δ not rejected.
  const tests: ThresholdTest[] = [];
  for (let index = start; index < sorted.length; index++) {
    const evaluation = sorted[index]!;
    const trials = holdoutSamples - (evaluation.abstained ?? 0);
    const errors = trials - Math.round(evaluation.accuracy * holdoutSamples);
    const test = {
      delta: evaluation.delta!,
      errors,
      trials,
      pValue: errorRatePValue(errors, trials, maxErrorRate),
      evaluation,
    };
    tests.push(test);
    if (test.pValue > risk) break;
  }
  const certified = fixedSequenceRejections(
    tests.map((test) => test.pValue),
    risk,
  );
  const chosen =
    certified === 0
      ? null
      : tests
          .slice(0, certified)
          .map((test) => test.evaluation)
          .reduce((winner, row) =>
            row.meanCost < winner.meanCost ||
            (row.meanCost === winner.meanCost && row.accuracy > winner.accuracy)
              ? row
              : winner,
          );
  const best = sorted.reduce((winner, row) =>
    answeredAccuracy(row) > answeredAccuracy(winner) ? row : winner,
  );
  return {
    policy,
    targetAccuracy,
    risk,
    abstain,
    chosen,
    tests,
    certified,
    sequenceLength: sorted.length - start,
    best,
    holdoutSamplesNeeded:
      certified === 0 && tests.length > 0
        ? samplesNeeded(tests[0]!, holdoutSamples, maxErrorRate, risk)
        : null,
    holdoutSamples,
  };
}

/** Accuracy of the answered samples (all samples without abstention); 0 when none. */
export function answeredAccuracy(row: PolicyEvaluation): number {
  return row.selectiveAccuracy === undefined ? row.accuracy : (row.selectiveAccuracy ?? 0);
}

/**
 * The δ at which a policy's decisions can change: `candidateDeltas`, plus, with abstention,
 * the last exit's bin scores (where answering turns into abstaining).
 */
export function tuningCandidates(
  profile: CalibrationProfile,
  policy: ThresholdPolicyName,
  abstain: boolean,
): number[] {
  const values = new Set(candidateDeltas(profile, policy));
  if (abstain && policy !== 'confidence') {
    for (const score of binExitScores(profile.diagrams[profile.diagrams.length - 1]!, policy)) {
      if (Number.isFinite(score)) values.add(score);
    }
  }
  return Array.from(values).sort((a, b) => a - b);
}

/**
 * Where the strict-to-loose sequence starts. Without abstention δ = 1 answers every sample,
 * so it starts at the strictest candidate. With abstention the strictest δ answer almost
 * nothing, and a test on a handful of answers can never reject, which would stop the
 * sequence at once; so it starts at the strictest δ whose share of answers at the last exit,
 * predicted from the calibration profile alone (never the holdout, which keeps the order
 * fixed in advance and the guarantee valid), gives at least four times the fewest trials
 * that could reject with no error at all.
 */
function sequenceStart(
  profile: CalibrationProfile,
  policy: ThresholdPolicyName,
  descending: readonly number[],
  holdoutSamples: number,
  maxErrorRate: number,
  risk: number,
  abstain: boolean,
): number {
  if (!abstain) return 0;
  const fewestTrials =
    maxErrorRate > 0 ? Math.log(risk) / Math.log1p(-maxErrorRate) : Number.POSITIVE_INFINITY;
  const last = profile.diagrams[profile.diagrams.length - 1]!;
  const total = last.count.reduce((sum, count) => sum + count, 0);
  if (total === 0) return 0;
  const scores =
    policy === 'confidence' ? last.edges : binExitScores(last, policy === 'pcee-ws' ? 'pcee-ws' : 'pcee');
  for (let index = 0; index < descending.length; index++) {
    const delta = descending[index]!;
    let answered = 0;
    for (let bin = 0; bin < scores.length; bin++) if (scores[bin]! >= delta) answered += last.count[bin]!;
    if ((answered / total) * holdoutSamples >= 4 * fewestTrials) return index;
  }
  return 0;
}

/**
 * Holdout size at which `test` would be rejected if its error rate stayed the same: a
 * doubling then bisection search over the scale of the holdout. Null when its error rate is
 * not below the target error rate (no amount of data certifies it).
 */
function samplesNeeded(
  test: ThresholdTest,
  samples: number,
  maxErrorRate: number,
  risk: number,
): number | null {
  if (test.trials === 0) return null;
  const rate = test.errors / test.trials;
  if (!(rate < maxErrorRate)) return null;
  const share = test.trials / samples;
  const passes = (size: number) => {
    const trials = Math.max(1, Math.round(size * share));
    return errorRatePValue(Math.round(rate * trials), trials, maxErrorRate) <= risk;
  };
  let high = Math.max(samples, 1);
  while (!passes(high)) {
    high *= 2;
    if (high > 1e12) return null;
  }
  let low = Math.floor(high / 2);
  while (high - low > Math.max(1, high * 0.001)) {
    const middle = Math.floor((low + high) / 2);
    if (passes(middle)) high = middle;
    else low = middle;
  }
  return high;
}
