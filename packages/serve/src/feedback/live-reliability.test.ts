import { equalWidthEdges } from '@pcee/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiveReliability } from './live-reliability.js';

const EDGES = [equalWidthEdges(5), equalWidthEdges(5)];

/** The diagrams of the last `window` observations, counted from scratch. */
function fromScratch(observations: [number, number, boolean][], window: number) {
  const recent = observations.slice(-window);
  return EDGES.map((edges, exit) => {
    const count = new Float64Array(edges.length);
    const correct = new Float64Array(edges.length);
    for (const [observedExit, confidence, isCorrect] of recent) {
      if (observedExit !== exit) continue;
      const bin = Math.min(edges.length - 1, Math.floor(confidence * edges.length));
      count[bin]!++;
      if (isCorrect) correct[bin]!++;
    }
    return { count: Array.from(count), correct: Array.from(correct) };
  });
}

describe('LiveReliability', () => {
  it('counts per exit and bin, and 1.0 lands in the last bin', () => {
    const live = new LiveReliability(EDGES, 10);
    live.add(0, 0.05, true);
    live.add(0, 1, false);
    live.add(1, 0.5, true);
    const [first, second] = live.diagrams();
    expect(Array.from(first!.count)).toEqual([1, 0, 0, 0, 1]);
    expect(Array.from(first!.correct)).toEqual([1, 0, 0, 0, 0]);
    expect(Array.from(second!.count)).toEqual([0, 0, 1, 0, 0]);
    expect(second!.sumConfidence[2]).toBe(0.5);
    expect(live.samples).toBe(3);
  });

  it('holds exactly the most recent `window` observations (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 1 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean()),
          {
            maxLength: 80,
          },
        ),
        (window, observations) => {
          const live = new LiveReliability(EDGES, window);
          for (const [exit, confidence, correct] of observations) live.add(exit, confidence, correct);
          const diagrams = live.diagrams();
          const expected = fromScratch(observations, window);
          expect(live.samples).toBe(Math.min(window, observations.length));
          diagrams.forEach((diagram, exit) => {
            expect(Array.from(diagram.count)).toEqual(expected[exit]!.count);
            expect(Array.from(diagram.correct)).toEqual(expected[exit]!.correct);
            // Sums slide out exactly: never negative, zero where the bin is empty.
            diagram.sumConfidence.forEach((sum, bin) => {
              if (diagram.count[bin] === 0) expect(sum).toBe(0);
              else expect(sum).toBeGreaterThanOrEqual(0);
            });
          });
        },
      ),
    );
  });

  it.each([0, 2.5])('refuses window %s', (window) => {
    expect(() => new LiveReliability(EDGES, window)).toThrow(/window must be a positive integer/);
  });
});
