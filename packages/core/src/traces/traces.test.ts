import { describe, expect, it } from 'vitest';
import { scoreExits } from '../calibration/index.js';
import { InvalidTracesError } from '../errors/index.js';
import { createTraces } from './traces.js';

describe('createTraces', () => {
  const shape = { samples: 3, exits: 2, classes: 2 };
  const finite = () => Float32Array.from({ length: 12 }, (_, index) => index - 6.5);

  it('accepts finite logits, negative zero and extremes included', () => {
    const logits = finite();
    logits[0] = -0;
    logits[1] = 3.4e38;
    logits[2] = -3.4e38;
    expect(createTraces(logits, Int32Array.of(0, 1, 0), shape).samples).toBe(3);
  });

  it.each([
    ['NaN', Number.NaN, 9, /logits of sample 2 at exit 0 contain NaN/],
    ['+Infinity', Number.POSITIVE_INFINITY, 0, /logits of sample 0 at exit 0 contain Infinity/],
    ['−Infinity', Number.NEGATIVE_INFINITY, 7, /logits of sample 1 at exit 1 contain -Infinity/],
    ['the first of two bad values', Number.NaN, 3, /logits of sample 0 at exit 1 contain NaN/],
  ])('rejects %s, naming the sample and exit', (_, value, index, message) => {
    const logits = finite();
    logits[index] = value;
    if (index === 3) logits[11] = Number.POSITIVE_INFINITY;
    expect(() => createTraces(logits, Int32Array.of(0, 1, 0), shape)).toThrow(InvalidTracesError);
    expect(() => createTraces(logits, Int32Array.of(0, 1, 0), shape)).toThrow(message);
  });

  // With checkFinite: false the check moves into scoreExits' single pass (the CLI's path).
  it.each([
    ['NaN', Number.NaN, 9, /logits of sample 2 at exit 0 contain NaN/],
    ['+Infinity', Number.POSITIVE_INFINITY, 0, /logits of sample 0 at exit 0 contain Infinity/],
    ['−Infinity', Number.NEGATIVE_INFINITY, 7, /logits of sample 1 at exit 1 contain -Infinity/],
  ])(
    'checkFinite: false leaves %s to scoreExits, which names it the same way',
    (_, value, index, message) => {
      const logits = finite();
      logits[index] = value;
      const traces = createTraces(logits, Int32Array.of(0, 1, 0), shape, { checkFinite: false });
      for (const measure of ['max-softmax', 'margin', 'entropy'] as const) {
        expect(() => scoreExits(traces, measure)).toThrow(InvalidTracesError);
        expect(() => scoreExits(traces, measure)).toThrow(message);
      }
    },
  );
});
