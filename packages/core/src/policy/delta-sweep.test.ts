import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binAccuracy, calibrate, parsePolicyNames, scoreExits } from '../calibration/index.js';
import { arbitraryTraces, syntheticTraces } from '../test-support/random-traces.js';
import { sweepDeltas, sweepPolicies } from './delta-sweep.js';
import { evaluateOracle, evaluatePolicy } from './evaluation.js';
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

describe('sweepPolicies', () => {
  const traces = syntheticTraces(500, 3, 4, 7);
  const profile = calibrate(traces);
  const scores = scoreExits(traces);

  it('gives each policy its sweep in the order given, and the oracle one row', () => {
    const rows = sweepPolicies(
      scores,
      profile,
      parsePolicyNames('confidence, oracle,pcee'),
      [0.9, 0.5],
      undefined,
      {
        abstain: true,
      },
    );
    expect(rows).toEqual([
      ...sweepDeltas(scores, profile, 'confidence', [0.9, 0.5], profile.costs, { abstain: true }),
      evaluateOracle(scores, profile.costs),
      ...sweepDeltas(scores, profile, 'pcee', [0.9, 0.5], profile.costs, { abstain: true }),
    ]);
  });

  it('parsePolicyNames names an unknown policy', () => {
    expect(() => parsePolicyNames('pcee,greedy')).toThrow('unknown policy "greedy"');
  });
});
