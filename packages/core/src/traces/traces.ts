import { InvalidTracesError } from '../errors/index.js';

/**
 * Per-exit logits of a labelled set: the input of calibration and evaluation.
 *
 * `logits` is row-major `[samples, exits, classes]`; exit `exits - 1` is the final head.
 * Float16 inputs are widened to float32 on read; all math runs in float64.
 */
export interface Traces {
  /** Number of samples N (≥ 1). */
  readonly samples: number;
  /** Number of exits L (≥ 1); exit L-1 is the final head. */
  readonly exits: number;
  /** Number of classes C (≥ 2). */
  readonly classes: number;
  /**
   * Row-major logits `[N, L, C]`, finite values only: checked by `createTraces`, or, for
   * traces created with `checkFinite: false`, by `scoreExits` in its single pass.
   */
  readonly logits: Float32Array | Float64Array;
  /** Class labels `[N]`, each in `[0, C)`. */
  readonly labels: Int32Array;
}

/** Options of {@link createTraces}. */
export interface CreateTracesOptions {
  /**
   * Check that every logit is finite (default true). Pass false only when the traces go straight
   * to `scoreExits`, which checks the same thing while it scores: one pass over the logits
   * instead of two (the CLI does this for traces of hundreds of MB).
   */
  readonly checkFinite?: boolean;
}

/**
 * Builds validated traces from flat arrays.
 *
 * @throws InvalidTracesError on a size mismatch, NaN/Inf logits (naming sample and exit)
 *   or labels outside `[0, classes)` (naming the sample and label).
 */
export function createTraces(
  logits: Float32Array | Float64Array,
  labels: Int32Array,
  shape: { samples: number; exits: number; classes: number },
  options: CreateTracesOptions = {},
): Traces {
  const { samples, exits, classes } = shape;
  for (const [name, value, minimum] of [
    ['samples', samples, 1],
    ['exits', exits, 1],
    ['classes', classes, 2],
  ] as const) {
    if (!Number.isInteger(value) || value < minimum) {
      throw new InvalidTracesError(`traces need ${name} ≥ ${minimum}, got ${value}`);
    }
  }
  if (logits.length !== samples * exits * classes) {
    throw new InvalidTracesError(
      `logits hold ${logits.length} values but [${samples}, ${exits}, ${classes}] needs ${samples * exits * classes}`,
    );
  }
  if (labels.length !== samples) {
    throw new InvalidTracesError(
      `logits have ${samples} samples but labels have ${labels.length}; both must describe the same samples`,
    );
  }
  if (options.checkFinite !== false) {
    // x·0 is 0 for every finite x and NaN for ±Inf and NaN, so this sum stays 0 exactly when all
    // logits are finite: one multiply-add per value (~2× cheaper than Number.isFinite on 40M).
    let poison = 0;
    for (let index = 0; index < logits.length; index++) poison += logits[index]! * 0;
    if (poison !== 0) throw nonFiniteLogitsError(logits, exits, classes);
  }
  for (let sample = 0; sample < samples; sample++) {
    const label = labels[sample]!;
    if (label < 0 || label >= classes) {
      // Logits saved as [N, C, L] put the classes where the exits belong: say so, since
      // "label out of range" would send the user looking at their labels.
      const transposed =
        label >= 0 && label < exits && labels.every((value) => value >= 0 && value < exits)
          ? `; logits have shape [${samples}, ${exits}, ${classes}], which looks like [N, C, L]: traces are [N, L, C] (L exits, C classes), so save logits.transpose(0, 2, 1)`
          : '; labels must be class indices';
      throw new InvalidTracesError(
        `label of sample ${sample} is ${label}, outside [0, ${classes}) for ${classes} classes${transposed}`,
      );
    }
  }
  return { samples, exits, classes, logits, labels };
}

/**
 * The error for logits known to hold a NaN or ±Inf: finds the first one (a second pass, paid
 * only by a bad file) and names its sample and exit.
 */
export function nonFiniteLogitsError(
  logits: ArrayLike<number>,
  exits: number,
  classes: number,
): InvalidTracesError {
  for (let index = 0; index < logits.length; index++) {
    if (!Number.isFinite(logits[index])) {
      const sample = Math.floor(index / (exits * classes));
      const exit = Math.floor(index / classes) % exits;
      return new InvalidTracesError(
        `logits of sample ${sample} at exit ${exit} contain ${logits[index]}; remove or fix that sample (NaN/Inf logits cannot be calibrated)`,
      );
    }
  }
  return new InvalidTracesError('logits contain NaN or Inf; remove or fix those samples');
}
