import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PceeError } from '../errors/index.js';
import {
  binomialCdf,
  clopperPearsonUpper,
  errorRatePValue,
  logGamma,
  regularizedIncompleteBeta,
} from './binomial-tail.js';

/**
 * P(X ≤ k) for X ~ Binomial(n, p), exact: Python `fractions` + `math.comb`, summing
 * C(n, i) p^i (1 − p)^(n − i) over i ≤ k as rationals and rounding once to float64.
 */
const GOLDEN_CDF: [number, number, number, number][] = [
  [0, 10, 0.1, 0.3486784401],
  [3, 10, 0.5, 0.171875],
  [5, 20, 0.3, 0.4163708294474814],
  [49, 1000, 0.05, 0.4797410570873206],
  [30, 1000, 0.05, 0.0012770679174798373],
  [950, 10000, 0.1, 0.048671428140796516],
  [1050, 10000, 0.1, 0.9530727017180721],
  [400, 5000, 0.1, 6.637258549851404e-7],
  [0, 2000, 0.01, 1.8637566029922667e-9],
  [99, 100, 0.99, 0.6339676587267705],
  [7, 50, 0.25, 0.04525584649016446],
];

/** The same sum in float64 log space, as an independent check for small n. */
function directCdf(k: number, n: number, p: number): number {
  let total = 0;
  for (let i = 0; i <= k; i++) {
    const logTerm =
      logGamma(n + 1) - logGamma(i + 1) - logGamma(n - i + 1) + i * Math.log(p) + (n - i) * Math.log1p(-p);
    total += Math.exp(logTerm);
  }
  return Math.min(1, total);
}

describe('binomial tail', () => {
  it.each(GOLDEN_CDF)('P(X ≤ %i | n=%i, p=%d) matches the exact rational sum', (k, n, p, expected) => {
    const value = binomialCdf(k, n, p);
    // Relative accuracy for tiny tails, absolute for the rest.
    expect(Math.abs(value - expected)).toBeLessThan(Math.max(1e-12, expected * 1e-9));
  });

  it.each([
    [1, 0],
    [5, Math.log(24)],
    [0.5, Math.log(Math.sqrt(Math.PI))],
    [101, 363.73937555556347],
  ])('ln Γ(%d) = %d', (x, expected) => {
    expect(logGamma(x)).toBeCloseTo(expected, 10);
  });

  it('agrees with a direct log-space sum (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, p, share) => {
          const k = Math.min(n, Math.floor(share * n));
          expect(binomialCdf(k, n, p)).toBeCloseTo(directCdf(k, n, p), 11);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('edge cases: k ≥ n, p ∈ {0, 1}, x ∈ {0, 1}', () => {
    expect(binomialCdf(10, 10, 0.5)).toBe(1);
    expect(binomialCdf(0, 10, 0)).toBe(1);
    expect(binomialCdf(9, 10, 1)).toBe(0);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
    // I_x(1, 1) = x.
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
  });

  it('scales to millions of trials without overflow', () => {
    const value = binomialCdf(99_000, 1_000_000, 0.1);
    // Normal approximation: z = (99000.5 − 100000) / 300 ≈ −3.33 → about 4.3e-4.
    expect(value).toBeGreaterThan(3e-4);
    expect(value).toBeLessThan(6e-4);
  });

  it('the p-value of "error rate > ε" is the lower binomial tail at ε; no trials prove nothing', () => {
    expect(errorRatePValue(30, 1000, 0.05)).toBeCloseTo(0.0012770679174798373, 14);
    expect(errorRatePValue(0, 0, 0.05)).toBe(1);
  });

  it.each([
    [0, 10, 0.05],
    [0, 1000, 0.1],
    [9, 10, 0.05],
    [99, 100, 0.01],
  ])(
    'Clopper–Pearson upper bound for %i errors in %i trials at risk %d has its closed form',
    (errors, trials, risk) => {
      // 0 errors: P(X = 0) = (1 − p)^n = α. n − 1 errors: P(X ≤ n − 1) = 1 − p^n = α.
      const expected = errors === 0 ? 1 - risk ** (1 / trials) : (1 - risk) ** (1 / trials);
      expect(clopperPearsonUpper(errors, trials, risk)).toBeCloseTo(expected, 12);
    },
  );

  it('the Clopper–Pearson bound puts exactly α in the tail', () => {
    const upper = clopperPearsonUpper(412, 5000, 0.05);
    expect(binomialCdf(412, 5000, upper)).toBeCloseTo(0.05, 10);
    expect(upper).toBeGreaterThan(412 / 5000);
    expect(clopperPearsonUpper(5, 5, 0.05)).toBe(1);
  });

  it.each([
    () => binomialCdf(-1, 10, 0.5),
    () => binomialCdf(1.5, 10, 0.5),
    () => binomialCdf(1, 10, 1.5),
    () => errorRatePValue(11, 10, 0.1),
    () => regularizedIncompleteBeta(0.5, 0, 1),
  ])('rejects bad arguments with a PceeError (%#)', (call) => {
    expect(call).toThrow(PceeError);
  });
});
