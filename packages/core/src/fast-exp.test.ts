import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expNonPositive } from './fast-exp.js';

const ulpsFromMathExp = (x: number) => {
  const expected = Math.exp(x);
  return Math.abs(expNonPositive(x) - expected) / (expected * Number.EPSILON);
};

describe('expNonPositive', () => {
  it.each([
    [0, 1],
    [-0, 1],
    [-1e-300, 1],
    [-746, 0],
    [Number.NEGATIVE_INFINITY, 0],
  ])('exp(%f) = %f exactly', (x, expected) => {
    expect(expNonPositive(x)).toBe(expected);
  });

  it.each([
    ['softmax range [-40, 0]', -40],
    ['wide range [-700, 0]', -700],
  ])('stays within 2 ulp of Math.exp over the %s (property)', (_name, low) => {
    fc.assert(
      fc.property(fc.double({ min: low, max: 0, noNaN: true }), (x) => {
        expect(ulpsFromMathExp(x)).toBeLessThanOrEqual(2);
      }),
      { numRuns: 20_000 },
    );
  });

  it('is within 2 ulp at every k·ln2/64 step boundary in [-40, 0]', () => {
    for (let k = -3700; k <= 0; k++) {
      const x = (k * Math.LN2) / 64;
      expect(ulpsFromMathExp(x)).toBeLessThanOrEqual(2);
      expect(ulpsFromMathExp(x + Math.LN2 / 128)).toBeLessThanOrEqual(2);
    }
  });
});
