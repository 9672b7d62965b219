import {
  accuracyOperatingPoint,
  type CalibrationProfile,
  calibrate,
  evaluateFullModel,
  scoreExits,
  seededRandom,
  shuffleInPlace,
  type ThresholdPolicyName,
  type Traces,
  tuneForAccuracy,
} from '@pcee/core';

/** What to recalibrate for. */
export interface WindowRecalibrationOptions {
  readonly policy: ThresholdPolicyName;
  /** a: the accuracy (selective accuracy with `abstain`) to certify. */
  readonly targetAccuracy: number;
  /** α: the certificate holds with probability ≥ 1 − α over the draw of the window's holdout half. */
  readonly risk: number;
  /** Certify the accuracy of the answered samples, abstaining at the last exit below δ. */
  readonly abstain: boolean;
  /** Seed of the calibration/holdout split. */
  readonly seed: number;
}

/** The outcome of one recalibration attempt. */
export type WindowRecalibration =
  | {
      readonly certified: true;
      /** The new profile (calibration half), with its tuned operating point (`tuned`). */
      readonly profile: CalibrationProfile;
      readonly calibrationSamples: number;
      readonly holdoutSamples: number;
    }
  | {
      readonly certified: false;
      /** Accuracy of the final exit on the whole window: what running every sample to the end gives. */
      readonly finalExitAccuracy: number;
      /** The best (selective) holdout accuracy any δ reached. */
      readonly bestAccuracy: number;
      readonly calibrationSamples: number;
      readonly holdoutSamples: number;
    };

/**
 * Rebuilds a profile from recent labelled traces and certifies a new δ on them, the way
 * `pcee calibrate` and `pcee tune` do offline: a fresh random split of the window into a
 * calibration half (reliability diagrams, with the served profile's binning, confidence
 * measure, costs and model identity) and a holdout half (Learn-then-Test, fixed sequence,
 * exact binomial). The certificate is about data like the window's: valid when the samples
 * after the swap are exchangeable with it (the shift has settled).
 */
export function recalibrateOnWindow(
  window: Traces,
  served: CalibrationProfile,
  options: WindowRecalibrationOptions,
): WindowRecalibration {
  const { calibration, holdout } = splitTraces(window, options.seed);
  const profile = calibrate(calibration, {
    bins: served.binning.bins,
    binning: served.binning.method,
    confidence: served.confidence,
    costs: served.costs,
    model: { id: served.model.id, fingerprint: served.model.fingerprint },
  });
  const holdoutScores = scoreExits(holdout, served.confidence);
  const tuning = tuneForAccuracy(holdoutScores, profile, {
    policy: options.policy,
    targetAccuracy: options.targetAccuracy,
    risk: options.risk,
    abstain: options.abstain,
  });
  const sizes = { calibrationSamples: calibration.samples, holdoutSamples: holdout.samples };
  if (!tuning.chosen) {
    const best = tuning.best;
    return {
      certified: false,
      finalExitAccuracy: evaluateFullModel(scoreExits(window, served.confidence), served.costs).accuracy,
      bestAccuracy: best.selectiveAccuracy === undefined ? best.accuracy : (best.selectiveAccuracy ?? 0),
      ...sizes,
    };
  }
  return { certified: true, profile: { ...profile, tuned: accuracyOperatingPoint(tuning, null) }, ...sizes };
}

/** A seeded random split into two halves (the first gets the extra sample of an odd count). */
function splitTraces(traces: Traces, seed: number): { calibration: Traces; holdout: Traces } {
  const order = Int32Array.from({ length: traces.samples }, (_, index) => index);
  shuffleInPlace(order, seededRandom(seed));
  const half = Math.ceil(traces.samples / 2);
  return {
    calibration: subset(traces, order.subarray(0, half)),
    holdout: subset(traces, order.subarray(half)),
  };
}

function subset(traces: Traces, samples: Int32Array): Traces {
  const row = traces.exits * traces.classes;
  const logits = new Float32Array(samples.length * row);
  const labels = new Int32Array(samples.length);
  samples.forEach((sample, index) => {
    logits.set(traces.logits.subarray(sample * row, (sample + 1) * row), index * row);
    labels[index] = traces.labels[sample]!;
  });
  return { ...traces, samples: samples.length, logits, labels };
}
