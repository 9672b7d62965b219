import { InvalidArgumentError } from '../errors/index.js';

/** How bin edges are chosen: equal width over [0, 1], or equal mass (quantiles). */
export type BinningMethod = 'width' | 'mass';

/** Every supported binning method, default first. */
export const BINNING_METHODS: readonly BinningMethod[] = ['width', 'mass'];

/** Default number of reliability-diagram bins. */
export const DEFAULT_BINS = 15;

/** Throws unless `bins` is an integer in [1, 10000]. */
export function assertBinCount(bins: number): void {
  if (!Number.isInteger(bins) || bins < 1 || bins > 10_000) {
    throw new InvalidArgumentError(
      `bins must be an integer in [1, 10000], got ${bins}; 15 is the usual choice`,
    );
  }
}

/**
 * Lower edges `e_k = k / B` for k = 0 … B−1 of B equal-width bins over [0, 1], in float64.
 * Bin k is `[e_k, e_{k+1})`; the last bin also holds 1.0.
 */
export function equalWidthEdges(bins: number): Float64Array {
  assertBinCount(bins);
  const edges = new Float64Array(bins);
  for (let k = 0; k < bins; k++) edges[k] = k / bins;
  return edges;
}

/**
 * Lower edges of up to B equal-mass bins: `e_0 = 0` and `e_k` the (k/B)-quantile of the
 * confidences (the smallest value with at least k·N/B values below or at it). Repeated
 * quantiles collapse, so heavily tied confidences yield fewer bins rather than empty ones.
 *
 * @param confidences values in [0, 1]; not modified.
 */
export function equalMassEdges(confidences: Float64Array, bins: number): Float64Array {
  assertBinCount(bins);
  const sorted = Float64Array.from(confidences).sort();
  const edges: number[] = [0];
  for (let k = 1; k < bins; k++) {
    const position = Math.ceil((k * sorted.length) / bins);
    if (position >= sorted.length) break;
    const edge = sorted[position]!;
    if (edge > edges[edges.length - 1]!) edges.push(edge);
  }
  return Float64Array.from(edges);
}

/**
 * The bin of confidence `c`: the largest k with `edges[k] ≤ c`, clamped to [0, K−1]
 * (so 1.0 lands in the last bin and values below `edges[0]` in the first).
 *
 * @param edges ascending lower edges, `edges[0] = 0`.
 */
export function binIndex(edges: Float64Array, c: number): number {
  let low = 0;
  let high = edges.length - 1;
  // Binary search for the last edge ≤ c.
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (edges[middle]! <= c) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * `binIndex` for equal-width edges, in O(1): floor(c·B), then corrected by one step where
 * float rounding of `c·B` disagrees with the comparison against the stored edges.
 */
export function equalWidthBinIndex(edges: Float64Array, c: number): number {
  const bins = edges.length;
  let k = Math.floor(c * bins);
  if (k >= bins) return bins - 1;
  if (k < 0) return 0;
  if (edges[k]! > c) k--;
  else if (k + 1 < bins && edges[k + 1]! <= c) k++;
  return k;
}

/** True when `edges` are exactly the equal-width edges of their length. */
export function isEqualWidth(edges: Float64Array): boolean {
  const bins = edges.length;
  for (let k = 0; k < bins; k++) if (edges[k] !== k / bins) return false;
  return true;
}

/** Returns the bin lookup for `edges`: O(1) for equal width, binary search otherwise. */
export function binLookup(edges: Float64Array): (c: number) => number {
  return isEqualWidth(edges) ? (c) => equalWidthBinIndex(edges, c) : (c) => binIndex(edges, c);
}
