import { hint, InvalidArgumentError } from '../errors/index.js';

/**
 * The cost of one run of a graph (a stage, or the full model) as a function of its batch
 * size b: `fixed + b · perSample`, in ms. The fixed part is what a run costs whatever its
 * size (session call, thread wake-ups, small kernels, output allocation); the per-sample
 * part is what each sample adds.
 */
export interface AffineCost {
  /** ms per run, ≥ 0. */
  readonly fixed: number;
  /** ms per sample in the run, ≥ 0. */
  readonly perSample: number;
}

/** An affine cost fitted to measurements, with how well it fits them. */
export interface AffineCostFit extends AffineCost {
  /**
   * Root mean square of the relative residuals, (measured − fitted) / measured, over the
   * batch sizes fitted: 0.05 means the fit is off by about 5% at a typical batch size.
   */
  readonly residual: number;
}

/**
 * Fits `ms ≈ fixed + batch · perSample` to run times measured at several batch sizes, by
 * least squares on the **relative** error (each point weighted by 1 / ms²): a run at batch
 * 1 and one at batch 64 differ in time by an order of magnitude, and an absolute fit would
 * let the large batches decide the fixed part, which is what the small, compacted batches of
 * deep stages pay. Both parts are kept ≥ 0 (a negative fixed part is noise on a cost that
 * is all per sample, and is refitted through the origin; a negative slope, through a
 * constant).
 *
 * @param batches batch sizes, positive integers, at least two distinct ones.
 * @param ms measured time of one run at each batch size, ms, positive and finite.
 * @throws InvalidArgumentError for mismatched lengths, fewer than two distinct batch sizes,
 *   or a time that is not positive and finite.
 */
export function fitAffineCost(batches: readonly number[], ms: readonly number[]): AffineCostFit {
  if (batches.length !== ms.length) {
    throw new InvalidArgumentError(
      `got ${batches.length} batch sizes but ${ms.length} times; give one time per batch size`,
    );
  }
  batches.forEach((batch) => {
    if (!Number.isInteger(batch) || batch < 1) {
      throw new InvalidArgumentError(`batch size ${batch} is not a positive integer`);
    }
  });
  ms.forEach((time, index) => {
    if (!Number.isFinite(time) || time <= 0) {
      throw new InvalidArgumentError(
        `time ${time} ms at batch ${batches[index]} is not positive; the clock is too coarse for it, measure larger batches`,
      );
    }
  });
  if (new Set(batches).size < 2) {
    throw new InvalidArgumentError(
      `an affine cost needs times at two or more batch sizes, got batch ${[...new Set(batches)].join(', ')}`,
      { hint: hint('measure-several-batches') },
    );
  }
  // Weighted normal equations with w = 1/y²: minimise Σ w (y − a − b·x)².
  let sw = 0;
  let swx = 0;
  let swy = 0;
  let swxx = 0;
  let swxy = 0;
  for (let index = 0; index < batches.length; index++) {
    const x = batches[index]!;
    const y = ms[index]!;
    const w = 1 / (y * y);
    sw += w;
    swx += w * x;
    swy += w * y;
    swxx += w * x * x;
    swxy += w * x * y;
  }
  const determinant = sw * swxx - swx * swx;
  let fixed = (swxx * swy - swx * swxy) / determinant;
  let perSample = (sw * swxy - swx * swy) / determinant;
  if (fixed < 0) {
    fixed = 0;
    perSample = swxy / swxx;
  } else if (perSample < 0) {
    perSample = 0;
    fixed = swy / sw;
  }
  return { fixed, perSample, residual: relativeResidual({ fixed, perSample }, batches, ms) };
}

/** Root mean square of (ms − fitted) / ms over the points. */
function relativeResidual(cost: AffineCost, batches: readonly number[], ms: readonly number[]): number {
  let sum = 0;
  for (let index = 0; index < batches.length; index++) {
    const y = ms[index]!;
    const relative = (y - (cost.fixed + batches[index]! * cost.perSample)) / y;
    sum += relative * relative;
  }
  return Math.sqrt(sum / batches.length);
}
