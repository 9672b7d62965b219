import type { CalibrationProfile, ExitScores } from '../calibration/index.js';
import { binLookup, type PolicyName, type ThresholdPolicyName } from '../calibration/index.js';
import type { ExitCosts } from '../cost/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import { upperBound } from '../math/index.js';
import { type AbstainOptions, evaluateOracle, type PolicyEvaluation, summarize } from './evaluation.js';
import { assertDelta, binExitScores } from './policy.js';

/**
 * Evaluates a threshold policy at many δ at once.
 *
 * Why it is fast: a sample exits at l for exactly the δ in `(m_{l−1}, m_l]`, where m_l is
 * the running maximum over exits ≤ l of the score the policy compares with δ (bin accuracy,
 * smoothed accuracy or confidence). So each sample touches at most L intervals of the
 * sorted δ list, added to difference arrays: O(N·L·log D + D·L) instead of O(N·L·D).
 * The results equal `evaluatePolicy(compilePolicy(profile, policy, δ), costs, options)` for
 * every δ. With abstention, a sample reaching the last exit is answered for the δ up to its
 * score there and abstains above: one more split of its last interval.
 *
 * @param deltas thresholds in [0, 1], any order; results come back in the same order.
 * @param costs defaults to the profile's costs.
 */
export function sweepDeltas(
  scores: ExitScores,
  profile: CalibrationProfile,
  policy: ThresholdPolicyName,
  deltas: readonly number[],
  costs: ExitCosts = profile.costs,
  options: AbstainOptions = {},
): PolicyEvaluation[] {
  const { samples, exits, correct } = scores;
  if (profile.diagrams.length !== exits) {
    throw new InvalidArgumentError(
      `profile has ${profile.diagrams.length} exits but the traces have ${exits}`,
    );
  }
  deltas.forEach(assertDelta);
  const order = deltas.map((_, index) => index).sort((a, b) => deltas[a]! - deltas[b]!);
  const sorted = Float64Array.from(order, (index) => deltas[index]!);
  const count = sorted.length;
  const exitScore = rowExitScores(scores, profile, policy);

  // Difference arrays over sorted δ positions: [position * exits + exit].
  const exitCountDiff = new Float64Array((count + 1) * exits);
  const exitCorrectDiff = new Float64Array((count + 1) * exits);
  const abstainDiff = new Float64Array(count + 1);
  const last = exits - 1;
  for (let n = 0; n < samples; n++) {
    let running = Number.NEGATIVE_INFINITY;
    let low = 0; // δ positions below `low` already exited earlier
    for (let exit = 0; exit < last && low < count; exit++) {
      const row = n * exits + exit;
      const score = exitScore[row]!;
      if (score <= running) continue;
      running = score;
      const high = upperBound(sorted, running);
      if (high > low) {
        exitCountDiff[low * exits + exit]! += 1;
        exitCountDiff[high * exits + exit]! -= 1;
        exitCorrectDiff[low * exits + exit]! += correct[row]!;
        exitCorrectDiff[high * exits + exit]! -= correct[row]!;
        low = high;
      }
    }
    if (low >= count) continue;
    // The rest reach the last exit; with abstention they are answered only while δ ≤ its score.
    const row = n * exits + last;
    const answeredHigh = options.abstain ? Math.max(low, upperBound(sorted, exitScore[row]!)) : count;
    exitCountDiff[low * exits + last]! += 1;
    exitCountDiff[count * exits + last]! -= 1;
    exitCorrectDiff[low * exits + last]! += correct[row]!;
    exitCorrectDiff[answeredHigh * exits + last]! -= correct[row]!;
    abstainDiff[answeredHigh]! += 1;
    abstainDiff[count]! -= 1;
  }

  const results = new Array<PolicyEvaluation>(count);
  const exitCounts = new Float64Array(exits);
  const exitCorrect = new Float64Array(exits);
  let abstained = 0;
  for (let position = 0; position < count; position++) {
    abstained += abstainDiff[position]!;
    let totalCost = 0;
    for (let exit = 0; exit < exits; exit++) {
      exitCounts[exit]! += exitCountDiff[position * exits + exit]!;
      exitCorrect[exit]! += exitCorrectDiff[position * exits + exit]!;
      totalCost += exitCounts[exit]! * costs.exits[exit]!;
    }
    results[order[position]!] = summarize(
      policy,
      sorted[position]!,
      Array.from(exitCounts),
      Array.from(exitCorrect),
      totalCost,
      samples,
      costs,
      options.abstain ? abstained : undefined,
    );
  }
  return results;
}

/**
 * The score each (sample, exit) compares with δ, `[N, L]`: its bin's (smoothed) accuracy
 * for pcee/pcee-ws (−∞ for empty bins), or the confidence itself for the baseline.
 */
export function rowExitScores(
  scores: ExitScores,
  profile: CalibrationProfile,
  policy: ThresholdPolicyName,
): Float64Array {
  if (policy === 'confidence') return scores.confidence;
  const { samples, exits, confidence } = scores;
  const result = new Float64Array(samples * exits);
  for (let exit = 0; exit < exits; exit++) {
    const diagram = profile.diagrams[exit]!;
    const binScores = binExitScores(diagram, policy);
    const lookup = binLookup(diagram.edges);
    for (let n = 0; n < samples; n++) {
      const row = n * exits + exit;
      result[row] = binScores[lookup(confidence[row]!)]!;
    }
  }
  return result;
}

/**
 * Every policy at every δ, in the order given (δ within a policy as listed): what `pcee evaluate`
 * tabulates. The oracle takes no δ and gives one row; the others are swept with `sweepDeltas`.
 *
 * @param costs defaults to the profile's costs.
 */
export function sweepPolicies(
  scores: ExitScores,
  profile: CalibrationProfile,
  policies: readonly PolicyName[],
  deltas: readonly number[],
  costs: ExitCosts = profile.costs,
  options: AbstainOptions = {},
): PolicyEvaluation[] {
  return policies.flatMap((policy) =>
    policy === 'oracle'
      ? [evaluateOracle(scores, costs)]
      : sweepDeltas(scores, profile, policy, deltas, costs, options),
  );
}
