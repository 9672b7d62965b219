import { type ConfidenceMeasure, rowArgmax, rowConfidence } from '../calibration/index.js';
import type { ExitTable } from './policy.js';

/** Per-row outcome of deciding one stage's batch at its exit. */
export interface BatchDecisions {
  /** 1 where the row stops at this exit. */
  readonly exits: Uint8Array;
  /** Predicted class at this exit (argmax of the logits). */
  readonly prediction: Int32Array;
  /** Confidence at this exit, in [0, 1]. */
  readonly confidence: Float64Array;
  /** Validation accuracy of the row's calibration bin here (NaN when the bin was empty). */
  readonly estimatedAccuracy: Float64Array;
  /** The row's confidence interval in the exit's table (for per-interval tables such as abstention). */
  readonly interval: Int32Array;
}

/**
 * The decision step of early exit, shared by the offline runner and the server: for each
 * row of a stage's logits `[rows, classes]`, one confidence, one bin lookup, one read of the
 * compiled table. At the last exit every row stops.
 */
export function decideBatch(
  logits: Float32Array,
  rows: number,
  classes: number,
  table: ExitTable,
  measure: ConfidenceMeasure,
  isLast: boolean,
): BatchDecisions {
  const decisions = {
    exits: new Uint8Array(rows),
    prediction: new Int32Array(rows),
    confidence: new Float64Array(rows),
    estimatedAccuracy: new Float64Array(rows),
    interval: new Int32Array(rows),
  };
  for (let row = 0; row < rows; row++) {
    const offset = row * classes;
    const score = rowConfidence(logits, offset, classes, measure);
    const interval = table.lookup(score);
    decisions.exits[row] = isLast || table.exit[interval] === 1 ? 1 : 0;
    decisions.prediction[row] = rowArgmax(logits, offset, classes);
    decisions.confidence[row] = score;
    decisions.estimatedAccuracy[row] = table.estimatedAccuracy[interval]!;
    decisions.interval[row] = interval;
  }
  return decisions;
}
