import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PceeError } from '../errors/index.js';
import { binIndex, equalMassEdges, equalWidthBinIndex, equalWidthEdges, isEqualWidth } from './binning.js';

describe('equal-width binning (DESIGN.md edge rule)', () => {
  const edges = equalWidthEdges(15);

  it('has edges k/15 in float64', () => {
    expect(Array.from(edges)).toEqual(Array.from({ length: 15 }, (_, k) => k / 15));
    expect(isEqualWidth(edges)).toBe(true);
  });

  it.each([
    ['0.0 lands in the first bin', 0, 0],
    ['1.0 lands in the last bin', 1, 14],
    ['just below 1/15 stays in bin 0', 1 / 15 - 1e-16, 0],
    ['0.5 lands in bin 7', 0.5, 7],
    ['0.9999 lands in bin 14', 0.9999, 14],
  ])('%s', (_name, confidence, bin) => {
    expect(binIndex(edges, confidence)).toBe(bin);
    expect(equalWidthBinIndex(edges, confidence)).toBe(bin);
  });

  it.each(Array.from({ length: 15 }, (_, k) => [k]))(
    'a tie on edge %i/15 belongs to the bin it opens',
    (k) => {
      expect(binIndex(edges, k / 15)).toBe(k);
      expect(equalWidthBinIndex(edges, k / 15)).toBe(k);
    },
  );

  it.each([[1], [3], [7], [10], [15], [100]])(
    'the O(1) lookup agrees with binary search for %i bins',
    (bins) => {
      const widthEdges = equalWidthEdges(bins);
      fc.assert(
        fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (c) => {
          expect(equalWidthBinIndex(widthEdges, c)).toBe(binIndex(widthEdges, c));
        }),
      );
    },
  );

  it.each([[0], [-1], [1.5], [Number.NaN]])('rejects %s bins with a PceeError', (bins) => {
    expect(() => equalWidthEdges(bins)).toThrow(PceeError);
  });
});

describe('equal-mass binning', () => {
  it('puts the same number of values in each bin', () => {
    const values = Float64Array.from({ length: 100 }, (_, i) => (i + 0.5) / 100);
    const edges = equalMassEdges(values, 4);
    expect(Array.from(edges)).toEqual([0, 0.255, 0.505, 0.755]);
    const counts = [0, 0, 0, 0];
    for (const value of values) counts[binIndex(edges, value)]!++;
    expect(counts).toEqual([25, 25, 25, 25]);
  });

  it('collapses tied quantiles instead of making empty bins', () => {
    const values = Float64Array.from([0.2, 1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(equalMassEdges(values, 4))).toEqual([0, 1]);
  });
});
