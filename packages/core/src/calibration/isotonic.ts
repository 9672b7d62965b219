import { binAccuracy, type ReliabilityDiagram } from './reliability-diagram.js';

/**
 * Weighted isotonic (non-decreasing) regression by pool-adjacent-violators.
 *
 * Minimises Σ w_i (y_i − f_i)² subject to f_0 ≤ f_1 ≤ … . Entries with weight 0 are
 * ignored and get NaN.
 *
 * @param values y, in order.
 * @param weights w ≥ 0, same length.
 */
export function isotonicRegression(values: ArrayLike<number>, weights: ArrayLike<number>): Float64Array {
  const length = values.length;
  // Blocks of pooled entries: weighted mean, total weight, and how many entries they span.
  const means: number[] = [];
  const totals: number[] = [];
  const members: number[][] = [];
  for (let i = 0; i < length; i++) {
    const weight = weights[i]!;
    if (!(weight > 0)) continue;
    means.push(values[i]!);
    totals.push(weight);
    members.push([i]);
    // Pool while the last two blocks violate monotonicity.
    while (means.length > 1 && means[means.length - 2]! > means[means.length - 1]!) {
      const lastMean = means.pop()!;
      const lastTotal = totals.pop()!;
      const lastMembers = members.pop()!;
      const top = means.length - 1;
      const total = totals[top]! + lastTotal;
      means[top] = (means[top]! * totals[top]! + lastMean * lastTotal) / total;
      totals[top] = total;
      members[top]!.push(...lastMembers);
    }
  }
  const fitted = new Float64Array(length).fill(Number.NaN);
  for (let block = 0; block < means.length; block++) {
    for (const index of members[block]!) fitted[index] = means[block]!;
  }
  return fitted;
}

/**
 * PCEE-WS smoothing: bin accuracies made non-decreasing in confidence by weighted isotonic
 * regression (weights = bin counts), so a sparse bin or a dip between bins cannot cause an
 * erratic exit. Empty bins stay NaN (they never exit).
 *
 * This is our definition: the paper names the smoothed variant without a formula we could
 * verify; isotonic regression is the standard monotone calibration map.
 */
export function smoothedBinAccuracy(diagram: ReliabilityDiagram): Float64Array {
  return isotonicRegression(binAccuracy(diagram), diagram.count);
}
