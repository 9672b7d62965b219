import type { RunResult } from '@pcee/core';

/** One sample's answer, as `pcee run --json` prints it. */
export interface PredictionRecord {
  readonly index: number;
  /** The predicted class index. */
  readonly prediction: number;
  /** The exit it left at. */
  readonly exit: number;
  /** Its confidence at that exit, in [0, 1]. */
  readonly confidence: number;
  /** The calibrated accuracy of its bin; null for an empty bin (which has none). */
  readonly estimatedAccuracy: number | null;
  /** With abstention: whether the sample was answered "abstain". */
  readonly abstained?: boolean;
}

/** Every sample of a run as a plain record (JSON-ready: no NaN), in sample order. */
export function predictionRecords(result: RunResult, abstain: boolean): PredictionRecord[] {
  return Array.from(result.exit, (exit, index) => ({
    index,
    prediction: result.prediction[index]!,
    exit,
    confidence: result.confidence[index]!,
    // An empty calibration bin has no accuracy; JSON has no NaN.
    estimatedAccuracy: Number.isNaN(result.estimatedAccuracy[index]!)
      ? null
      : result.estimatedAccuracy[index]!,
    ...(abstain ? { abstained: result.abstained[index] === 1 } : {}),
  }));
}
