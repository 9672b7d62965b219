import { InvalidArgumentError } from '../errors/index.js';
import { expNonPositive } from '../math/index.js';
import { nonFiniteLogitsError, type Traces } from '../traces/index.js';

/** How a head's logits become one confidence score in [0, 1]. */
export type ConfidenceMeasure = 'max-softmax' | 'margin' | 'entropy';

/** Every supported confidence measure, default first. */
export const CONFIDENCE_MEASURES: readonly ConfidenceMeasure[] = ['max-softmax', 'margin', 'entropy'];

/**
 * Per-(sample, exit) results of the heads: what each exit predicts, how confident it is,
 * and whether it is right. Flat row-major `[N, L]` arrays.
 */
export interface ExitScores {
  readonly samples: number;
  readonly exits: number;
  /** Confidence in [0, 1] of exit `l` on sample `n` at `n * exits + l`, float64. */
  readonly confidence: Float64Array;
  /** Predicted class (argmax of the logits; first index wins ties). */
  readonly prediction: Int32Array;
  /** 1 when the prediction equals the label, else 0. */
  readonly correct: Uint8Array;
}

/** Throws unless `measure` names a supported confidence measure. */
export function assertConfidenceMeasure(measure: string): asserts measure is ConfidenceMeasure {
  if (!(CONFIDENCE_MEASURES as readonly string[]).includes(measure)) {
    throw new InvalidArgumentError(
      `unknown confidence measure "${measure}"; use one of: ${CONFIDENCE_MEASURES.join(', ')}`,
    );
  }
}

/**
 * Confidence of one logits row `logits[offset .. offset + classes)`, in float64.
 *
 * - `max-softmax`: max_c softmax(z)_c = 1 / Σ_c exp(z_c − max z) (stable: the max is subtracted).
 * - `margin`: top-1 minus top-2 softmax probability.
 * - `entropy`: 1 − H(p) / log C, so a one-hot distribution scores 1 and uniform scores 0.
 *
 * Exponentials use `expNonPositive` (within 4 ulp of `Math.exp`, faster), the same in
 * calibration and in the runner so that their decisions agree bit for bit.
 *
 * @returns confidence in [0, 1].
 */
export function rowConfidence(
  logits: ArrayLike<number>,
  offset: number,
  classes: number,
  measure: ConfidenceMeasure = 'max-softmax',
): number {
  let maximum = logits[offset]!;
  for (let c = 1; c < classes; c++) {
    const value = logits[offset + c]!;
    if (value > maximum) maximum = value;
  }
  if (measure === 'max-softmax') {
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += expNonPositive(logits[offset + c]! - maximum);
    return 1 / sum;
  }
  if (measure === 'margin') {
    let sum = 0;
    let second = Number.NEGATIVE_INFINITY;
    let seenMaximum = false;
    for (let c = 0; c < classes; c++) {
      const value = logits[offset + c]!;
      sum += expNonPositive(value - maximum);
      // The maximum counts once; a tie for first place leaves a margin of 0.
      if (value === maximum && !seenMaximum) seenMaximum = true;
      else if (value > second) second = value;
    }
    return (1 - expNonPositive(second - maximum)) / sum;
  }
  let sum = 0;
  let weighted = 0;
  for (let c = 0; c < classes; c++) {
    const shifted = logits[offset + c]! - maximum;
    const exponential = expNonPositive(shifted);
    sum += exponential;
    weighted += exponential * shifted;
  }
  // H = log Σe^s − Σ e^s·s / Σ e^s with s = z − max z.
  const entropy = Math.log(sum) - weighted / sum;
  const confidence = 1 - entropy / Math.log(classes);
  return Math.min(1, Math.max(0, confidence));
}

/** Index of the largest logit in the row; the first index wins ties. */
export function rowArgmax(logits: ArrayLike<number>, offset: number, classes: number): number {
  let best = 0;
  let maximum = logits[offset]!;
  for (let c = 1; c < classes; c++) {
    const value = logits[offset + c]!;
    if (value > maximum) {
      maximum = value;
      best = c;
    }
  }
  return best;
}

/**
 * Scores every head on every sample: confidence, prediction and correctness, in one
 * pass over the logits, which also checks that they are finite. This is the expensive step
 * of calibration and evaluation (one softmax per row); everything after works on these
 * `[N, L]` arrays.
 *
 * @throws InvalidTracesError naming the sample and exit of the first NaN/Inf logit.
 */
export function scoreExits(traces: Traces, measure: ConfidenceMeasure = 'max-softmax'): ExitScores {
  assertConfidenceMeasure(measure);
  const { samples, exits, classes, logits, labels } = traces;
  const rows = samples * exits;
  const confidence = new Float64Array(rows);
  const prediction = new Int32Array(rows);
  const correct = new Uint8Array(rows);
  const maxSoftmax = measure === 'max-softmax';
  // Finiteness is checked here, in the same pass, for traces created with checkFinite: false:
  // x·0 is NaN for ±Inf and NaN and 0 otherwise, so `poison` stays 0 exactly when all are finite.
  let poison = 0;
  for (let row = 0; row < rows; row++) {
    const offset = row * classes;
    const label = labels[(row / exits) | 0]!;
    // Inlined max-softmax + argmax: the hot path of calibrating millions of rows.
    let best = 0;
    let maximum = logits[offset]!;
    poison += maximum * 0;
    for (let c = 1; c < classes; c++) {
      const value = logits[offset + c]!;
      poison += value * 0;
      if (value > maximum) {
        maximum = value;
        best = c;
      }
    }
    if (maxSoftmax) {
      // exp(max − max) is exactly 1 (expNonPositive(0) === 1), so skipping that call changes no
      // bit of the sum (same terms, same order) and saves one exponential in ten.
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += c === best ? 1 : expNonPositive(logits[offset + c]! - maximum);
      confidence[row] = 1 / sum;
    } else {
      confidence[row] = rowConfidence(logits, offset, classes, measure);
    }
    prediction[row] = best;
    correct[row] = best === label ? 1 : 0;
  }
  if (poison !== 0) throw nonFiniteLogitsError(logits, exits, classes);
  return { samples, exits, confidence, prediction, correct };
}
