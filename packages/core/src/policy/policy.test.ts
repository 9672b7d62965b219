import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calibrate, scoreExits } from '../calibration/index.js';
import { PceeError } from '../errors/index.js';
import { handProfile } from '../test-support/hand-profile.js';
import { arbitraryTraces, tracesFrom } from '../test-support/random-traces.js';
import {
  evaluateOracle,
  evaluatePolicy,
  oracleExits,
  simulateAbstentions,
  simulateExits,
} from './evaluation.js';
import { compilePolicy, decideExit } from './policy.js';

// Exit 0: bins [0, .5) acc 0.5 and [.5, 1] acc 0.9. Exit 1: bin 0 empty, bin 1 acc 1. Exit 2: final.
const profile = handProfile([
  [
    [10, 5],
    [10, 9],
  ],
  [
    [0, 0],
    [4, 4],
  ],
  [
    [5, 4],
    [5, 5],
  ],
]);

describe('pcee policy (golden)', () => {
  it.each([
    [0.9, [0.7, 0.1], 0],
    [0.9, [0.3, 0.7], 1],
    [0.9, [0.3, 0.3], 2], // exit 1's bin 0 is empty: empty bins never exit
    [0.95, [0.7, 0.7], 1],
    [0.5, [0.2, 0.2], 0], // accuracy exactly δ exits
    [0, [0.3, 0.3], 0],
    [1, [0.7, 0.2], 2],
  ])('δ=%f, confidences %j → exit %i', (delta, confidences, expected) => {
    const compiled = compilePolicy(profile, 'pcee', delta);
    let exit = 0;
    while (exit < 2 && !decideExit(compiled, exit, confidences[exit]!).exit) exit++;
    expect(exit).toBe(expected);
  });

  it('reports the bin accuracy as the estimated accuracy', () => {
    const compiled = compilePolicy(profile, 'pcee', 0.9);
    expect(decideExit(compiled, 0, 0.7)).toEqual({ exit: true, estimatedAccuracy: 0.9 });
    expect(decideExit(compiled, 0, 0.2)).toEqual({ exit: false, estimatedAccuracy: 0.5 });
  });
});

describe('pcee-ws policy (golden)', () => {
  // Exit 0 bins: acc 0.3 (10), 1.0 (2, sparse), 0.9 (10) → smoothed 0.3, 11/12, 11/12.
  const bumpy = handProfile([
    [
      [10, 3],
      [2, 2],
      [10, 9],
    ],
    [
      [1, 1],
      [1, 1],
      [1, 1],
    ],
  ]);
  it.each([
    ['pcee', 0.95, [0, 1, 0]],
    ['pcee-ws', 0.95, [0, 0, 0]],
    ['pcee', 0.9, [0, 1, 1]],
    ['pcee-ws', 0.9, [0, 1, 1]],
  ] as const)('%s at δ=%f exits exit-0 bins %j', (policy, delta, expected) => {
    expect(Array.from(compilePolicy(bumpy, policy, delta).tables[0]!.exit)).toEqual(expected);
  });
});

describe('confidence baseline (golden)', () => {
  it.each([
    [0.6, 0.6, true],
    [0.6, 0.5999999, false],
    [0.6, 1, true],
    [0, 0, true],
  ])('δ=%f, confidence %f → exit %s', (delta, confidence, expected) => {
    expect(decideExit(compilePolicy(profile, 'confidence', delta), 0, confidence).exit).toBe(expected);
  });

  it('keeps the calibration bin accuracy as the estimate', () => {
    expect(decideExit(compilePolicy(profile, 'confidence', 0.6), 0, 0.55).estimatedAccuracy).toBe(0.9);
  });
});

describe('oracle (golden)', () => {
  it('exits at the first correct head, else the last', () => {
    const traces = tracesFrom(
      [
        [
          [0, 1],
          [1, 0],
          [1, 0],
        ],
        [
          [1, 0],
          [0, 1],
          [1, 0],
        ],
        [
          [0, 1],
          [0, 1],
          [0, 1],
        ],
      ],
      [0, 0, 0],
    );
    const scores = scoreExits(traces);
    expect(Array.from(oracleExits(scores))).toEqual([1, 0, 2]);
    const evaluation = evaluateOracle(scores, { unit: 'depth', exits: [1, 2, 3], fullModel: 3 });
    expect(evaluation).toMatchObject({ accuracy: 2 / 3, meanCost: 2, exitCounts: [1, 1, 1], delta: null });
  });

  it('cannot be compiled for deployment', () => {
    expect(() => compilePolicy(profile, 'oracle', 0.9)).toThrow(/labels/);
  });
});

describe('policy arguments', () => {
  it.each([[-0.1], [1.01], [Number.NaN]])('rejects δ=%f with a PceeError', (delta) => {
    expect(() => compilePolicy(profile, 'pcee', delta)).toThrow(PceeError);
  });
  it('rejects an unknown policy naming the choices', () => {
    expect(() => compilePolicy(profile, 'greedy' as never, 0.9)).toThrow(/pcee, pcee-ws, confidence, oracle/);
  });
});

describe('monotonicity (property)', () => {
  it.each(['pcee', 'confidence'] as const)('%s exits never move earlier when δ rises', (policy) => {
    fc.assert(
      fc.property(
        arbitraryTraces,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (traces, a, b) => {
          const scores = scoreExits(traces);
          const calibration = calibrate(traces, { bins: 5 });
          const [low, high] = a <= b ? [a, b] : [b, a];
          const lowExits = simulateExits(scores, compilePolicy(calibration, policy, low));
          const highExits = simulateExits(scores, compilePolicy(calibration, policy, high));
          lowExits.forEach((exit, n) => {
            expect(exit).toBeLessThanOrEqual(highExits[n]!);
          });
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('abstention (golden)', () => {
  // The last exit (2) has bins of accuracy 0.8 ([0, .5)) and 1.0 ([.5, 1]).
  it.each([
    ['pcee', 0.9, [0, 1]],
    ['pcee', 0.8, [1, 1]],
    ['pcee', 1, [0, 1]],
    ['confidence', 0.6, [0, 0, 1]], // split edges 0, .5, .6: c ≥ 0.6 answers
  ] as const)('%s δ=%f answers the last exit’s intervals %j', (policy, delta, answers) => {
    expect(Array.from(compilePolicy(profile, policy, delta).lastExitAnswers!)).toEqual(answers);
  });

  it('samples reaching the last exit below δ abstain; coverage and selective accuracy follow', () => {
    // Three classes: logits [2, 0, 0] score 0.79 (bin 1), uniform ones 1/3 (bin 0). Sample 0
    // exits at 0; sample 1 reaches exit 2 in its accuracy-1.0 bin; sample 2 in its 0.8 bin.
    const sure = [2, 0, 0];
    const unsure = [0, 0, 0];
    const traces = tracesFrom(
      [
        [sure, unsure, unsure],
        [unsure, unsure, sure],
        [unsure, unsure, unsure],
      ],
      [0, 0, 0],
    );
    const scores = scoreExits(traces);
    const compiled = compilePolicy(profile, 'pcee', 0.9);
    const chosen = simulateExits(scores, compiled);
    expect(Array.from(chosen)).toEqual([0, 2, 2]);
    expect(Array.from(simulateAbstentions(scores, compiled, chosen))).toEqual([0, 0, 1]);
    const evaluation = evaluatePolicy(scores, compiled, profile.costs, { abstain: true });
    expect(evaluation).toMatchObject({
      abstained: 1,
      coverage: 2 / 3,
      selectiveAccuracy: 1,
      accuracy: 2 / 3,
    });
    expect(evaluatePolicy(scores, compiled, profile.costs).coverage).toBeUndefined();
  });

  it('a hand-built policy without an abstention table cannot abstain', () => {
    const { lastExitAnswers: _, ...bare } = compilePolicy(profile, 'pcee', 0.9);
    const scores = scoreExits(
      tracesFrom(
        [
          [
            [1, 0, 0],
            [1, 0, 0],
            [1, 0, 0],
          ],
        ],
        [0],
      ),
    );
    expect(() => evaluatePolicy(scores, bare, profile.costs, { abstain: true })).toThrow(PceeError);
  });
});
