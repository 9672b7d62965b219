import {
  type CalibrationProfile,
  type CalibrationSummary,
  type ConfidenceMeasure,
  candidateDeltas,
  type ExitCosts,
  type ExitScores,
  evaluateFullModel,
  evaluateOracle,
  type PolicyEvaluation,
  summarizeDiagram,
  sweepDeltas,
  type ThresholdPolicyName,
} from '@pcee/core';
import { type ReliabilityBin, reliabilityBins } from './reliability-bins.js';
import { type TunedReport, tunedReport } from './tuned-report.js';

/** The deployable policies every chart compares, in legend order. */
export const REPORT_POLICIES: readonly ThresholdPolicyName[] = ['pcee', 'pcee-ws', 'confidence'];

/** δ values listed in the report's summary table (and the demo's), as target accuracies. */
export const HIGHLIGHT_DELTAS: readonly number[] = [0.8, 0.85, 0.9, 0.95, 0.99];

/**
 * The δ grid of the controllability and exit-distribution charts. Below 0.5 every
 * reasonable head already qualifies, so the interesting range starts there.
 */
export const CONTROL_DELTAS: readonly number[] = Array.from({ length: 100 }, (_, step) =>
  Number((0.5 + step * 0.005).toFixed(3)),
);

/** What the report says about one exit: calibration on validation data, accuracy on test data. */
export interface ExitReport extends CalibrationSummary {
  readonly exit: number;
  /** Accuracy of this head on every test sample, in [0, 1]. */
  readonly testAccuracy: number;
  /** Cumulative cost of stopping here, in the profile's cost unit. */
  readonly cost: number;
  /** cost / full-model cost. */
  readonly relativeCost: number;
  /** The bins of its reliability diagram (validation data). */
  readonly bins: readonly ReliabilityBin[];
}

/** Everything the report shows about one model: plain data, no markup. */
export interface ModelReport {
  /** Model id from the profile or the model package; a file name when neither knows it. */
  readonly modelId: string;
  /** One line about the model, from its package, when known. */
  readonly description: string | null;
  readonly classNames: readonly string[] | null;
  readonly classes: number;
  readonly exits: number;
  readonly validationSamples: number;
  readonly testSamples: number;
  readonly confidence: ConfidenceMeasure;
  readonly binning: CalibrationProfile['binning'];
  readonly costs: ExitCosts;
  readonly exitReports: readonly ExitReport[];
  /** The final head on every sample at full-model cost. */
  readonly fullModel: { readonly accuracy: number; readonly cost: number };
  readonly oracle: PolicyEvaluation;
  /** Each policy on `CONTROL_DELTAS`. */
  readonly control: Readonly<Record<ThresholdPolicyName, readonly PolicyEvaluation[]>>;
  /**
   * Each policy over every δ where its behaviour can change (exhaustive for pcee and
   * pcee-ws, a 0.001 grid for confidence), in increasing δ: the accuracy–cost curves.
   */
  readonly tradeoff: Readonly<Record<ThresholdPolicyName, readonly PolicyEvaluation[]>>;
  /** pcee at `HIGHLIGHT_DELTAS`. */
  readonly highlights: readonly PolicyEvaluation[];
  /** The profile's tuned operating point (`pcee tune --out`) on the test traces; null when untuned. */
  readonly tuned: TunedReport | null;
}

/** Identity the caller knows beyond the profile (from a model package). */
export interface ModelDetails {
  readonly modelId?: string;
  readonly description?: string;
  readonly classNames?: readonly string[];
}

/**
 * Assembles a model's report data from its calibration profile (validation statistics) and
 * its scored test traces. `fallbackId` names the model when neither the profile nor
 * `details` do (e.g. the profile's file name).
 */
export function assembleModelReport(
  profile: CalibrationProfile,
  scores: ExitScores,
  fallbackId: string,
  details: ModelDetails = {},
): ModelReport {
  const { costs } = profile;
  const sweep = (deltas: (policy: ThresholdPolicyName) => readonly number[]) =>
    Object.fromEntries(
      REPORT_POLICIES.map((policy) => [policy, sweepDeltas(scores, profile, policy, deltas(policy))]),
    ) as Record<ThresholdPolicyName, PolicyEvaluation[]>;
  const testAccuracy = exitAccuracies(scores);
  return {
    modelId: details.modelId ?? profile.model.id ?? fallbackId,
    description: details.description ?? null,
    classNames: details.classNames ?? null,
    classes: profile.model.classes,
    exits: profile.model.exits,
    validationSamples: profile.samples,
    testSamples: scores.samples,
    confidence: profile.confidence,
    binning: profile.binning,
    costs,
    exitReports: profile.diagrams.map((diagram, exit) => ({
      exit,
      ...summarizeDiagram(diagram),
      testAccuracy: testAccuracy[exit]!,
      cost: costs.exits[exit]!,
      relativeCost: costs.exits[exit]! / costs.fullModel,
      bins: reliabilityBins(diagram),
    })),
    fullModel: evaluateFullModel(scores, costs),
    oracle: evaluateOracle(scores, costs),
    control: sweep(() => CONTROL_DELTAS),
    // Sorted ascending so each curve is drawn in δ order (cost never decreases with δ).
    tradeoff: sweep((policy) => candidateDeltas(profile, policy)),
    highlights: sweepDeltas(scores, profile, 'pcee', HIGHLIGHT_DELTAS),
    tuned: tunedReport(profile, scores),
  };
}

/** Accuracy of every head on all samples. */
function exitAccuracies(scores: ExitScores): number[] {
  const { samples, exits, correct } = scores;
  const right = new Array<number>(exits).fill(0);
  for (let n = 0; n < samples; n++) {
    for (let exit = 0; exit < exits; exit++) right[exit]! += correct[n * exits + exit]!;
  }
  return right.map((count) => count / samples);
}
