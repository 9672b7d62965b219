import { describe, expect, it } from 'vitest';
import type { ExitScores } from '../calibration/index.js';
import type { ExitCosts } from '../cost/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import { compilePolicy, simulateExits } from '../policy/index.js';
import { handProfile } from '../test-support/hand-profile.js';
import { chooseExitDrops } from './exit-drops.js';

// Two bins per exit; the top bin of exits 0 and 1 is perfectly accurate, so at δ 0.9 a sample
// leaves at the first of them where its confidence is ≥ 0.5. Exit 2 is the last.
const profile = handProfile([
  [
    [10, 2],
    [10, 10],
  ],
  [
    [10, 2],
    [10, 10],
  ],
  [
    [10, 5],
    [10, 5],
  ],
]);
const policy = compilePolicy(profile, 'pcee', 0.9);
const costs: ExitCosts = { unit: 'flops', exits: [1, 2, 3], fullModel: 3 };

/** Samples as `[confidence at each exit, correct at each exit]`, repeated `count` times. */
function scores(groups: [number, [number, number, number], [number, number, number]][]): ExitScores {
  const rows = groups.flatMap(([count, confidence, correct]) =>
    Array.from({ length: count }, () => ({ confidence, correct })),
  );
  return {
    samples: rows.length,
    exits: 3,
    confidence: Float64Array.from(rows.flatMap((row) => row.confidence)),
    prediction: new Int32Array(rows.length * 3),
    correct: Uint8Array.from(rows.flatMap((row) => row.correct)),
  };
}

const fewLeaveEarly = scores([
  [1, [0.8, 0.8, 0.8], [1, 1, 1]],
  [9, [0.2, 0.2, 0.2], [1, 1, 1]],
]);

describe('chooseExitDrops', () => {
  it.each([
    ['an exit few samples take and whose overhead is large', fewLeaveEarly, [0.5, 0.5, 0], [0, 1]],
    ['nothing when the overheads are zero', fewLeaveEarly, [0, 0, 0], []],
    [
      'exit 1, which nobody takes, but not exit 0, which most samples take',
      scores([
        [9, [0.8, 0.8, 0.8], [1, 1, 1]],
        [1, [0.2, 0.2, 0.2], [1, 1, 1]],
      ]),
      [0.1, 0.1, 0],
      [1],
    ],
    [
      'not an exit whose samples would be wrong later, however large its overhead',
      scores([
        [1, [0.8, 0.8, 0.8], [1, 0, 0]],
        [9, [0.2, 0.2, 0.2], [1, 1, 1]],
      ]),
      [5, 0, 0],
      [],
    ],
  ])('drops %s', (_, traces, overheads, expected) => {
    expect(chooseExitDrops(traces, policy, costs, { overheads }).drop).toEqual(expected);
  });

  it('splits each drop into overhead and lost saving, and the gains add up to the cost change', () => {
    const choice = chooseExitDrops(fewLeaveEarly, policy, costs, { overheads: [0.5, 0.5, 0] });
    // Exit 1 goes first: nobody leaves there, the 9 samples reaching it save its overhead.
    const [first, second] = choice.candidates;
    expect(second).toMatchObject({ exit: 1, exitShare: 0, reachShare: 0.9, dropped: true });
    expect(second!.netGain).toBeCloseTo(0.45, 12);
    // Then exit 0: every sample saves 0.5; the one leaving there runs on to exit 2 instead,
    // where it pays 2 − (1 − 0.5) = 1.5 more: a lost saving of 0.15 per sample.
    expect(first).toMatchObject({ exit: 0, exitShare: 0.1, reachShare: 1, dropped: true, correctChange: 0 });
    expect(first!.overheadCost).toBeCloseTo(0.5, 12);
    expect(first!.expectedSaving).toBeCloseTo(0.15, 12);
    const gained = choice.candidates.reduce((sum, candidate) => sum + candidate.netGain, 0);
    expect(choice.before.meanCost - choice.after.meanCost).toBeCloseTo(gained, 12);
    expect(choice.before).toEqual({ accuracy: 1, meanCost: 2.8, exitCounts: [1, 0, 9] });
    expect(choice.after.exitCounts).toEqual([0, 0, 10]);
    expect(choice.after.accuracy).toBe(1);
  });

  it('starts from the fused model: exits whose table never exits are already gone', () => {
    // Exits 0 and 1 never exit (as at a δ no bin reaches).
    const dead = {
      ...policy,
      tables: policy.tables.map((table, exit) => (exit < 2 ? { ...table, exit: new Uint8Array(2) } : table)),
    };
    const choice = chooseExitDrops(fewLeaveEarly, dead, costs, { overheads: [0.5, 0.5, 0] });
    expect(choice.drop).toEqual([]);
    expect(choice.candidates).toEqual([]);
    expect(choice.before.meanCost).toBeCloseTo(3 - 0.5 - 0.5, 12);
    expect(Array.from(simulateExits(fewLeaveEarly, dead))).toEqual(new Array(10).fill(2));
  });

  it('rejects traces of another model', () => {
    const run = () =>
      chooseExitDrops({ ...fewLeaveEarly, exits: 4 }, policy, costs, { overheads: [0, 0, 0] });
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(/policy has 3 exits, traces 4 and costs 3/);
  });
});
