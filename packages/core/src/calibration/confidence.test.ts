import { describe, expect, it } from 'vitest';
import { PceeError } from '../errors/index.js';
import { tracesFrom } from '../test-support/random-traces.js';
import { rowArgmax, rowConfidence, scoreExits } from './confidence.js';

describe('confidence measures (float64, stable)', () => {
  it.each([
    ['max-softmax, two equal logits', 'max-softmax', [0, 0], 0.5],
    ['max-softmax, [ln 3, 0, 0]', 'max-softmax', [Math.log(3), 0, 0], 0.6],
    ['max-softmax survives huge logits', 'max-softmax', [1000, 999, -1000], 1 / (1 + Math.exp(-1))],
    ['margin, [ln 3, 0, 0] = 0.6 − 0.2', 'margin', [Math.log(3), 0, 0], 0.4],
    ['margin of a tie for first is 0', 'margin', [2, 2, 0], 0],
    ['entropy of a uniform row is 0', 'entropy', [1, 1, 1, 1], 0],
    ['entropy of a near one-hot row is ~1', 'entropy', [100, 0, 0, 0], 1],
  ] as const)('%s', (_name, measure, logits, expected) => {
    expect(rowConfidence(logits, 0, logits.length, measure)).toBeCloseTo(expected, 12);
  });

  it('argmax picks the first of tied maxima', () => {
    expect(rowArgmax([1, 3, 3, 0], 0, 4)).toBe(1);
  });

  it('scores every (sample, exit): confidence, prediction, correctness', () => {
    const traces = tracesFrom(
      [
        [
          [0, 0],
          [3, 0],
        ],
        [
          [0, 5],
          [1, 0],
        ],
      ],
      [0, 1],
    );
    const scores = scoreExits(traces);
    expect(Array.from(scores.prediction)).toEqual([0, 0, 1, 0]);
    expect(Array.from(scores.correct)).toEqual([1, 1, 1, 0]);
    expect(scores.confidence[0]).toBe(0.5);
    expect(scores.confidence[1]).toBeCloseTo(1 / (1 + Math.exp(-3)), 15);
  });

  // The calibration fast path (scoreExits) and the runner (rowConfidence) must agree bit for
  // bit, or a sample on a bin edge could exit differently at run time than in calibration.
  it.each(['max-softmax', 'margin', 'entropy'] as const)(
    'scoreExits equals rowConfidence bit for bit (%s, ties and extreme logits included)',
    (measure) => {
      const rows = [
        [0, 0, 0, 0],
        [2, 2, 1, -1],
        [1000, 999, -1000, 0],
        [-3.25, 7.5, 7.5, 0.125],
        ...Array.from({ length: 200 }, (_, row) =>
          Array.from({ length: 4 }, (_, c) => Math.fround(Math.sin(row * 12.9898 + c * 78.233) * 9)),
        ),
      ];
      const traces = tracesFrom(
        rows.map((row) => [row]),
        rows.map(() => 0),
      );
      const scores = scoreExits(traces, measure);
      rows.forEach((row, index) => {
        expect(scores.confidence[index]).toBe(rowConfidence(Float32Array.from(row), 0, 4, measure));
      });
    },
  );

  it('rejects an unknown measure naming the choices', () => {
    const traces = tracesFrom([[[0, 1]]], [0]);
    expect(() => scoreExits(traces, 'temperature' as never)).toThrow(PceeError);
    expect(() => scoreExits(traces, 'temperature' as never)).toThrow(/max-softmax, margin, entropy/);
  });
});
