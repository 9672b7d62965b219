import {
  buildReliabilityDiagrams,
  type CalibrationProfile,
  type ConfidenceMeasure,
  type ExitScores,
  PROFILE_VERSION,
  scoreExits,
  type ThresholdPolicyName,
} from '../calibration/index.js';
import { depthCosts, type ExitCosts } from '../cost/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import { seededRandom, shuffleInPlace } from '../math/index.js';
import type { PolicyEvaluation } from '../policy/index.js';
import { sweepDeltas } from '../policy/index.js';
import type { Traces } from '../traces/index.js';
import { answeredAccuracy, certifyEvaluations, tuningCandidates } from './learn-then-test.js';

/** Options of `resampleGuarantee`. */
export interface ResamplingOptions {
  /** Target accuracies to tune for, each in (0, 1]. */
  readonly targets: readonly number[];
  /** Random three-way splits (default 200). */
  readonly splits?: number;
  /** Share of samples that calibrate (default 0.3). */
  readonly calibrationShare?: number;
  /** Share of samples in the holdout (default 0.35); the rest is the test split. */
  readonly holdoutShare?: number;
  /** α (default 0.05). */
  readonly risk?: number;
  readonly policy?: ThresholdPolicyName;
  readonly abstain?: boolean;
  /** Equal-width bins (default 15). */
  readonly bins?: number;
  readonly confidence?: ConfidenceMeasure;
  /** Cumulative exit costs (default: depth). */
  readonly costs?: ExitCosts;
  /** Seed of the split generator (default 1). */
  readonly seed?: number;
}

/** How the guarantee held for one target over all splits. */
export interface ResamplingRow {
  readonly target: number;
  readonly splits: number;
  /** Splits where `tune` certified a δ (the others deploy nothing, so cannot violate). */
  readonly certified: number;
  /** Splits whose certified δ has test (selective) accuracy below the target. */
  readonly violations: number;
  /** violations / splits. */
  readonly violationRate: number;
  /**
   * Splits whose certified δ has (selective) accuracy below the target on the holdout and
   * test splits together: the population the holdout was drawn from, given the calibration
   * split. This is the quantity the guarantee bounds: ≤ α up to binomial noise.
   */
  readonly populationViolations: number;
  /**
   * The same for the naive choice without a guarantee (the cheapest δ whose holdout
   * accuracy reaches the target): what the guarantee protects against.
   */
  readonly naiveViolations: number;
  /** Mean test (selective) accuracy of the certified δ. */
  readonly meanTestAccuracy: number | null;
  /** Mean relative test cost of the certified δ, over splits where the hindsight δ exists too. */
  readonly meanTunedCost: number | null;
  /** Mean relative test cost of the cheapest δ meeting the target on the test split, in hindsight. */
  readonly meanHindsightCost: number | null;
  /** meanTunedCost / meanHindsightCost − 1: the extra compute the guarantee costs. */
  readonly priceOfGuarantee: number | null;
}

/**
 * An empirical check of `tuneForAccuracy`'s guarantee on your own labelled traces: over
 * random three-way splits (calibrate / holdout / test) it calibrates, tunes on the holdout
 * and measures the test (selective) accuracy of the certified δ. The share of splits below
 * the target should be at most α, up to binomial noise (and the test split's own noise).
 * Also reports the price of the guarantee against the cheapest δ that met the target on
 * the test split in hindsight. Deterministic for a seed.
 */
export function resampleGuarantee(traces: Traces, options: ResamplingOptions): ResamplingRow[] {
  const splits = options.splits ?? 200;
  const calibrationShare = options.calibrationShare ?? 0.3;
  const holdoutShare = options.holdoutShare ?? 0.35;
  if (!(calibrationShare > 0 && holdoutShare > 0 && calibrationShare + holdoutShare < 1)) {
    throw new InvalidArgumentError(
      `calibration and holdout shares must be positive and leave a test split, got ${calibrationShare} and ${holdoutShare}`,
    );
  }
  const policy = options.policy ?? 'pcee';
  const abstain = options.abstain ?? false;
  const risk = options.risk ?? 0.05;
  const confidence = options.confidence ?? 'max-softmax';
  const costs = options.costs ?? depthCosts(traces.exits);
  const bins = options.bins ?? 15;
  const all = scoreExits(traces, confidence);
  const calibrationSize = Math.round(traces.samples * calibrationShare);
  const holdoutSize = Math.round(traces.samples * holdoutShare);
  const random = seededRandom(options.seed ?? 1);
  const order = Int32Array.from({ length: traces.samples }, (_, n) => n);
  const tallies = options.targets.map(() => ({
    certified: 0,
    violations: 0,
    populationViolations: 0,
    naiveViolations: 0,
    accuracy: 0,
    tunedCost: 0,
    hindsightCost: 0,
    priced: 0,
  }));
  for (let split = 0; split < splits; split++) {
    shuffleInPlace(order, random);
    const calibration = subsetScores(all, order.subarray(0, calibrationSize));
    const holdout = subsetScores(all, order.subarray(calibrationSize, calibrationSize + holdoutSize));
    const test = subsetScores(all, order.subarray(calibrationSize + holdoutSize));
    const profile: CalibrationProfile = {
      format: 'pcee-profile',
      version: PROFILE_VERSION,
      model: { id: null, exits: traces.exits, classes: traces.classes, fingerprint: null },
      confidence,
      binning: { method: 'width', bins },
      costs,
      samples: calibration.samples,
      diagrams: buildReliabilityDiagrams(calibration, { bins }),
    };
    const deltas = tuningCandidates(profile, policy, abstain);
    const onTest = sweepDeltas(test, profile, policy, deltas, costs, { abstain });
    const onHoldout = sweepDeltas(holdout, profile, policy, deltas, costs, { abstain });
    const testAt = new Map(deltas.map((delta, index) => [delta, onTest[index]!]));
    options.targets.forEach((target, index) => {
      const tally = tallies[index]!;
      const tuning = certifyEvaluations(onHoldout, holdout.samples, profile, {
        policy,
        targetAccuracy: target,
        risk,
        abstain,
      });
      const naive = cheapest(onHoldout.filter((row) => answeredAccuracy(row) >= target));
      if (naive && answeredAccuracy(testAt.get(naive.delta!)!) < target) tally.naiveViolations++;
      if (!tuning.chosen) return;
      const deployed = testAt.get(tuning.chosen.delta!)!;
      tally.certified++;
      tally.accuracy += answeredAccuracy(deployed);
      if (answeredAccuracy(deployed) < target) tally.violations++;
      if (pooledAccuracy(tuning.chosen, holdout.samples, deployed, test.samples) < target) {
        tally.populationViolations++;
      }
      const hindsight = cheapest(onTest.filter((row) => answeredAccuracy(row) >= target));
      if (hindsight) {
        tally.priced++;
        tally.tunedCost += deployed.relativeCost;
        tally.hindsightCost += hindsight.relativeCost;
      }
    });
  }
  return options.targets.map((target, index) => {
    const tally = tallies[index]!;
    const meanTunedCost = tally.priced > 0 ? tally.tunedCost / tally.priced : null;
    const meanHindsightCost = tally.priced > 0 ? tally.hindsightCost / tally.priced : null;
    return {
      target,
      splits,
      certified: tally.certified,
      violations: tally.violations,
      violationRate: tally.violations / splits,
      populationViolations: tally.populationViolations,
      naiveViolations: tally.naiveViolations,
      meanTestAccuracy: tally.certified > 0 ? tally.accuracy / tally.certified : null,
      meanTunedCost,
      meanHindsightCost,
      priceOfGuarantee:
        meanTunedCost !== null && meanHindsightCost !== null ? meanTunedCost / meanHindsightCost - 1 : null,
    };
  });
}

/** (Selective) accuracy of two evaluations of one δ on disjoint sets, pooled. */
function pooledAccuracy(
  a: PolicyEvaluation,
  aSamples: number,
  b: PolicyEvaluation,
  bSamples: number,
): number {
  const correct = a.accuracy * aSamples + b.accuracy * bSamples;
  const answered = (a.coverage ?? 1) * aSamples + (b.coverage ?? 1) * bSamples;
  return answered > 0 ? correct / answered : 0;
}

function cheapest(rows: PolicyEvaluation[]): PolicyEvaluation | undefined {
  return rows.reduce<PolicyEvaluation | undefined>(
    (winner, row) =>
      !winner ||
      row.meanCost < winner.meanCost ||
      (row.meanCost === winner.meanCost && answeredAccuracy(row) > answeredAccuracy(winner))
        ? row
        : winner,
    undefined,
  );
}

/** The scores of the given samples, in that order. */
export function subsetScores(scores: ExitScores, samples: Int32Array): ExitScores {
  const { exits } = scores;
  const confidence = new Float64Array(samples.length * exits);
  const prediction = new Int32Array(samples.length * exits);
  const correct = new Uint8Array(samples.length * exits);
  // Plain loops: a subarray per row costs more than the copy itself.
  for (let row = 0; row < samples.length; row++) {
    const from = samples[row]! * exits;
    const to = row * exits;
    for (let exit = 0; exit < exits; exit++) {
      confidence[to + exit] = scores.confidence[from + exit]!;
      prediction[to + exit] = scores.prediction[from + exit]!;
      correct[to + exit] = scores.correct[from + exit]!;
    }
  }
  return { samples: samples.length, exits, confidence, prediction, correct };
}
