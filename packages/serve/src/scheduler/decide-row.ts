import { type ConfidenceMeasure, type ExitTable, rowArgmax, rowConfidence } from '@pcee/core';

/** The decision for one sample at one exit. */
export interface RowDecision {
  /** True when the sample stops at this exit. */
  exit: boolean;
  /** Predicted class at this exit. */
  prediction: number;
  /** Confidence at this exit, in [0, 1]. */
  confidence: number;
  /** Validation accuracy of the sample's calibration bin at this exit (NaN when the bin was empty). */
  estimatedAccuracy: number;
}

/**
 * Decides one logits row exactly as `runEarlyExit` does (same confidence, same table lookup),
 * so the server's exits equal the offline runner's sample for sample. Writes into `into` to
 * allocate nothing per row.
 *
 * @param offset index of the row's first logit in `logits`.
 * @param isLast true at the final exit, which always exits.
 */
export function decideRow(
  logits: Float32Array,
  offset: number,
  classes: number,
  table: ExitTable,
  measure: ConfidenceMeasure,
  isLast: boolean,
  into: RowDecision,
): RowDecision {
  const confidence = rowConfidence(logits, offset, classes, measure);
  const interval = table.lookup(confidence);
  into.exit = isLast || table.exit[interval] === 1;
  into.prediction = rowArgmax(logits, offset, classes);
  into.confidence = confidence;
  into.estimatedAccuracy = table.estimatedAccuracy[interval]!;
  return into;
}
