import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../policy/index.js';
import { handProfile } from '../test-support/hand-profile.js';
import { fusedPolicy, planFusion } from './fusion-plan.js';

// Exit 0 is 95% accurate in its top bin; exit 1 never reaches 0.9; exit 2 does in its top bin.
const profile = handProfile([
  [
    [10, 2],
    [10, 5],
    [20, 19],
  ],
  [
    [10, 2],
    [10, 5],
    [20, 17],
  ],
  [
    [10, 2],
    [10, 5],
    [20, 19],
  ],
  [
    [10, 5],
    [10, 5],
    [10, 5],
  ],
]);

describe('planFusion', () => {
  it('drops exits whose table never exits and groups the stages around them', () => {
    const plan = planFusion(compilePolicy(profile, 'pcee', 0.9));
    expect(plan).toEqual({ liveExits: [0, 2, 3], groups: [[0], [1, 2], [3]] });
  });

  it('fuses everything into one stage when no intermediate exit can be taken', () => {
    expect(planFusion(compilePolicy(profile, 'pcee', 0.99))).toEqual({
      liveExits: [3],
      groups: [[0, 1, 2, 3]],
    });
  });

  it('also drops the exits it is told to, and keeps the live tables in order', () => {
    const policy = compilePolicy(profile, 'pcee', 0.9);
    const plan = planFusion(policy, [0]);
    expect(plan).toEqual({ liveExits: [2, 3], groups: [[0, 1, 2], [3]] });
    expect(fusedPolicy(policy, plan).tables).toEqual([policy.tables[2], policy.tables[3]]);
  });

  it.each([[3], [-1], [1.5]])('refuses to drop exit %s, naming the ones that can be dropped', (exit) => {
    expect(() => planFusion(compilePolicy(profile, 'pcee', 0.9), [exit])).toThrow(
      /only exits 0…2 can be dropped/,
    );
  });
});
