/**
 * Population stability index between a reference histogram and an observed one over the
 * same bins: `PSI = Σ_k (o_k − e_k) · ln(o_k / e_k)`, with `e_k`, `o_k` the bin shares.
 * Shares are smoothed with half a count per bin, `(count_k + 0.5) / (total + 0.5·K)`, so an
 * empty bin on either side gives a large but finite term instead of ∞.
 *
 * Rules of thumb (credit scoring, where the index comes from): below 0.1 no shift, 0.1–0.25
 * a moderate shift, above 0.25 a significant one.
 *
 * @param expected reference counts per bin (≥ 0).
 * @param observed observed counts per bin (≥ 0), same length.
 * @returns PSI ≥ 0; NaN when either side has no counts at all.
 */
export function populationStabilityIndex(expected: ArrayLike<number>, observed: ArrayLike<number>): number {
  const bins = expected.length;
  if (observed.length !== bins) {
    throw new RangeError(`PSI needs histograms over the same bins, got ${bins} and ${observed.length}`);
  }
  let expectedTotal = 0;
  let observedTotal = 0;
  for (let k = 0; k < bins; k++) {
    expectedTotal += expected[k]!;
    observedTotal += observed[k]!;
  }
  if (expectedTotal <= 0 || observedTotal <= 0) return Number.NaN;
  const expectedDenominator = expectedTotal + 0.5 * bins;
  const observedDenominator = observedTotal + 0.5 * bins;
  let index = 0;
  for (let k = 0; k < bins; k++) {
    const e = (expected[k]! + 0.5) / expectedDenominator;
    const o = (observed[k]! + 0.5) / observedDenominator;
    index += (o - e) * Math.log(o / e);
  }
  return index;
}
