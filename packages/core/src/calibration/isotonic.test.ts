import { describe, expect, it } from 'vitest';
import { isotonicRegression } from './isotonic.js';

describe('weighted isotonic regression (pool-adjacent-violators)', () => {
  it.each([
    ['already monotone', [0.1, 0.5, 0.9], [1, 1, 1], [0.1, 0.5, 0.9]],
    ['one violation pooled by weight', [1, 0, 0.5], [1, 3, 4], [0.25, 0.25, 0.5]],
    ['cascading pools', [0.9, 0.5, 0.7, 1], [1, 1, 2, 1], [0.7, 0.7, 0.7, 1]],
    ['a sparse high bin is pulled down', [0.3, 1, 0.9], [10, 2, 10], [0.3, 11 / 12, 11 / 12]],
    ['zero weights are skipped and stay NaN', [0.8, 0.2, 0.4], [1, 0, 1], [0.6, Number.NaN, 0.6]],
  ])('%s', (_name, values, weights, expected) => {
    const fitted = Array.from(isotonicRegression(values, weights));
    fitted.forEach((value, index) => {
      if (Number.isNaN(expected[index]!)) expect(value).toBeNaN();
      else expect(value).toBeCloseTo(expected[index]!, 12);
    });
  });
});
