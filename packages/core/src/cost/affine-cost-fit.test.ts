import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/index.js';
import { fitAffineCost } from './affine-cost-fit.js';

describe('fitAffineCost', () => {
  it('recovers an exact line (golden vector)', () => {
    // 0.2 ms per run + 0.05 ms per sample, at batches 1, 4, 16, 64.
    const fit = fitAffineCost([1, 4, 16, 64], [0.25, 0.4, 1, 3.4]);
    expect(fit.fixed).toBeCloseTo(0.2, 12);
    expect(fit.perSample).toBeCloseTo(0.05, 12);
    expect(fit.residual).toBeLessThan(1e-12);
  });

  it('weighs relative error: the fixed part follows the small batches (golden vector)', () => {
    // Batch 64 is 10% slow; an absolute fit would let it pull the fixed part far from 1 ms.
    // Hand-solved weighted normal equations (w = 1/y²) for (1, 1.1), (2, 1.2), (64, 8.04).
    const fit = fitAffineCost([1, 2, 64], [1.1, 1.2, 8.04]);
    const w = [1 / 1.1 ** 2, 1 / 1.2 ** 2, 1 / 8.04 ** 2];
    const [x, y] = [
      [1, 2, 64],
      [1.1, 1.2, 8.04],
    ] as const;
    const sum = (f: (k: number) => number) => f(0) + f(1) + f(2);
    const sw = sum((k) => w[k]!);
    const swx = sum((k) => w[k]! * x[k]!);
    const swy = sum((k) => w[k]! * y[k]!);
    const swxx = sum((k) => w[k]! * x[k]! * x[k]!);
    const swxy = sum((k) => w[k]! * x[k]! * y[k]!);
    const determinant = sw * swxx - swx * swx;
    expect(fit.fixed).toBeCloseTo((swxx * swy - swx * swxy) / determinant, 12);
    expect(fit.perSample).toBeCloseTo((sw * swxy - swx * swy) / determinant, 12);
    expect(fit.fixed).toBeGreaterThan(0.9);
  });

  it.each([
    // The weighted constant is Σ(1/y) / Σ(1/y²) = 1.5 / 1.25.
    ['a falling time (negative slope): a constant', [1, 8], [2, 1], { fixed: 1.2, perSample: 0 }],
    [
      'a time that grows faster than linearly at 0 (negative intercept): through the origin',
      [1, 2],
      [1, 3],
      { fixed: 0 },
    ],
  ])('keeps both parts ≥ 0 for %s', (_, batches, ms, expected) => {
    const fit = fitAffineCost(batches, ms);
    expect(fit.fixed).toBeGreaterThanOrEqual(0);
    expect(fit.perSample).toBeGreaterThanOrEqual(0);
    for (const [key, value] of Object.entries(expected)) {
      expect(fit[key as 'fixed']).toBeCloseTo(value, 12);
    }
  });

  it.each([
    ['one batch size', [64, 64], [1, 1], /two or more batch sizes/],
    ['mismatched lengths', [1, 2], [1], /one time per batch size/],
    ['a zero time', [1, 2], [0, 1], /not positive/],
    ['a fractional batch', [1.5, 2], [1, 1], /not a positive integer/],
  ])('rejects %s', (_, batches, ms, message) => {
    expect(() => fitAffineCost(batches, ms)).toThrow(InvalidArgumentError);
    expect(() => fitAffineCost(batches, ms)).toThrow(message);
  });

  it('property: recovers any non-negative line exactly, and scales with the times', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        fc.uniqueArray(fc.integer({ min: 1, max: 256 }), { minLength: 2, maxLength: 6 }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        (fixed, perSample, batches, scale) => {
          const ms = batches.map((batch) => fixed + batch * perSample);
          const fit = fitAffineCost(batches, ms);
          expect(fit.fixed).toBeCloseTo(fixed, 6);
          expect(fit.perSample).toBeCloseTo(perSample, 6);
          const scaled = fitAffineCost(
            batches,
            ms.map((time) => time * scale),
          );
          expect(scaled.fixed).toBeCloseTo(fit.fixed * scale, 5);
          expect(scaled.perSample).toBeCloseTo(fit.perSample * scale, 6);
        },
      ),
    );
  });
});
