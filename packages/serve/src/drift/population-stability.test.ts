import { describe, expect, it } from 'vitest';
import { populationStabilityIndex } from './population-stability.js';

describe('populationStabilityIndex', () => {
  it('is 0 for the same shares, whatever the totals', () => {
    expect(populationStabilityIndex([10, 20, 70], [10, 20, 70])).toBe(0);
    // Smoothing adds half a count per bin, a small bias once totals are in the hundreds.
    expect(populationStabilityIndex([100, 200, 700], [1000, 2000, 7000])).toBeLessThan(0.001);
  });

  it('matches a hand computation (half-count smoothing)', () => {
    // e = (50.5, 50.5)/101 = (0.5, 0.5); o = (90.5, 10.5)/101.
    const o1 = 90.5 / 101;
    const o2 = 10.5 / 101;
    const expected = (o1 - 0.5) * Math.log(o1 / 0.5) + (o2 - 0.5) * Math.log(o2 / 0.5);
    expect(populationStabilityIndex([50, 50], [90, 10])).toBeCloseTo(expected, 12);
  });

  it('is finite where a bin is empty on one side, and grows with the shift', () => {
    const small = populationStabilityIndex([100, 100, 0], [95, 100, 5]);
    const large = populationStabilityIndex([100, 100, 0], [20, 80, 100]);
    expect(Number.isFinite(large)).toBe(true);
    expect(large).toBeGreaterThan(small);
    expect(large).toBeGreaterThan(0.25);
    expect(small).toBeLessThan(0.1);
  });

  it('is symmetric in its two arguments', () => {
    expect(populationStabilityIndex([3, 5, 9], [7, 1, 4])).toBeCloseTo(
      populationStabilityIndex([7, 1, 4], [3, 5, 9]),
      12,
    );
  });

  it('is NaN without counts and refuses different bins', () => {
    expect(populationStabilityIndex([0, 0], [1, 2])).toBeNaN();
    expect(() => populationStabilityIndex([1, 2], [1, 2, 3])).toThrow(/same bins/);
  });
});
