import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binAccuracy, calibrate, scoreExits } from '../calibration/index.js';
import { arbitraryTraces } from '../test-support/random-traces.js';
import { sweepDeltas } from './delta-sweep.js';
import { evaluatePolicy } from './evaluation.js';
import { compilePolicy } from './policy.js';

describe('δ sweep', () => {
  it.each([
    ['pcee', false],
    ['pcee-ws', false],
    ['confidence', false],
    ['pcee', true],
    ['pcee-ws', true],
    ['confidence', true],
  ] as const)(
    '%s (abstain: %s): the sweep equals evaluating each compiled δ one by one (property)',
    (policy, abstain) => {
      fc.assert(
        fc.property(
          arbitraryTraces,
          fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
          fc.constantFrom<'width' | 'mass'>('width', 'mass'),
          (traces, randomDeltas, binning) => {
            const scores = scoreExits(traces);
            const profile = calibrate(traces, { bins: 6, binning });
            // Bin accuracies themselves are the tie cases that matter most.
            const ties = profile.diagrams.flatMap((diagram) =>
              Array.from(binAccuracy(diagram)).filter(Number.isFinite),
            );
            const deltas = [...randomDeltas, ...ties, 0, 1];
            const swept = sweepDeltas(scores, profile, policy, deltas, profile.costs, { abstain });
            deltas.forEach((delta, index) => {
              const direct = evaluatePolicy(scores, compilePolicy(profile, policy, delta), profile.costs, {
                abstain,
              });
              expect(swept[index]!.abstained).toBe(direct.abstained);
              expect(swept[index]!.coverage).toBe(direct.coverage);
              expect(swept[index]!.exitCounts).toEqual(direct.exitCounts);
              expect(swept[index]!.accuracy).toBeCloseTo(direct.accuracy, 12);
              expect(swept[index]!.meanCost).toBeCloseTo(direct.meanCost, 9);
              expect(swept[index]!.delta).toBe(delta);
            });
          },
        ),
        { numRuns: 60 },
      );
    },
  );
});
