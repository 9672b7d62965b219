/**
 * The median of a non-empty list (the mean of the middle two for an even count). Benchmarks
 * and cost measurements report medians because one slow run on a shared machine moves a mean
 * but not a median.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
