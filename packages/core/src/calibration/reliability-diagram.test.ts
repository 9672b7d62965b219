import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PceeError } from '../errors/index.js';
import { arbitraryTraces } from '../test-support/random-traces.js';
import { createTraces } from '../traces/index.js';
import { scoreExits } from './confidence.js';
import {
  binAccuracy,
  buildReliabilityDiagrams,
  mergeDiagrams,
  type ReliabilityDiagram,
  summarizeDiagram,
} from './reliability-diagram.js';

function diagram(
  edges: number[],
  count: number[],
  correct: number[],
  sumConfidence: number[],
): ReliabilityDiagram {
  return {
    edges: Float64Array.from(edges),
    count: Float64Array.from(count),
    correct: Float64Array.from(correct),
    sumConfidence: Float64Array.from(sumConfidence),
  };
}

describe('reliability diagrams', () => {
  it('ECE and MCE golden vector', () => {
    // bin 0: acc 0.5, conf 0.3 → gap 0.2 (4 samples); bin 1 empty; bin 2: acc 0.75, conf 0.9 → gap 0.15 (4)
    const golden = diagram([0, 1 / 3, 2 / 3], [4, 0, 4], [2, 0, 3], [1.2, 0, 3.6]);
    const summary = summarizeDiagram(golden);
    expect(summary.samples).toBe(8);
    expect(summary.accuracy).toBe(5 / 8);
    expect(summary.ece).toBeCloseTo((0.2 * 4 + 0.15 * 4) / 8, 15);
    expect(summary.mce).toBeCloseTo(0.2, 15);
    expect(Number.isNaN(binAccuracy(golden)[1]!)).toBe(true);
  });

  it('counts each sample once per exit in the bin of its confidence', () => {
    // Two classes: confidences 0.5 (tie), σ(2) ≈ 0.88, σ(4) ≈ 0.98.
    const traces = createTraces(Float64Array.from([0, 0, 2, 0, 0, 4]), Int32Array.from([0, 0, 1]), {
      samples: 3,
      exits: 1,
      classes: 2,
    });
    const [exit0] = buildReliabilityDiagrams(scoreExits(traces), { bins: 10 });
    expect(Array.from(exit0!.count)).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 1, 1]);
    expect(Array.from(exit0!.correct)).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 1, 1]);
  });

  it('merged shard diagrams equal the diagram of the whole (property)', () => {
    fc.assert(
      fc.property(arbitraryTraces, fc.integer({ min: 0, max: 100 }), (traces, cutPercent) => {
        const cut = Math.floor((traces.samples * cutPercent) / 100);
        const shard = (from: number, to: number) =>
          createTraces(
            traces.logits.slice(from * traces.exits * traces.classes, to * traces.exits * traces.classes),
            traces.labels.slice(from, to),
            { samples: to - from, exits: traces.exits, classes: traces.classes },
          );
        const whole = buildReliabilityDiagrams(scoreExits(traces));
        if (cut === 0 || cut === traces.samples) return;
        const first = buildReliabilityDiagrams(scoreExits(shard(0, cut)));
        const second = buildReliabilityDiagrams(scoreExits(shard(cut, traces.samples)));
        whole.forEach((expected, exit) => {
          const merged = mergeDiagrams(first[exit]!, second[exit]!);
          expect(Array.from(merged.count)).toEqual(Array.from(expected.count));
          expect(Array.from(merged.correct)).toEqual(Array.from(expected.correct));
          // Bit for bit: confidences are summed as multiples of 2^-24, so order does not matter.
          expect(Array.from(merged.sumConfidence)).toEqual(Array.from(expected.sumConfidence));
        });
      }),
      { numRuns: 60 },
    );
  });

  it('refuses to merge diagrams with different edges', () => {
    const a = diagram([0, 0.5], [1, 1], [1, 1], [0.2, 0.7]);
    const b = diagram([0, 0.4], [1, 1], [1, 1], [0.2, 0.7]);
    expect(() => mergeDiagrams(a, b)).toThrow(PceeError);
  });
});
