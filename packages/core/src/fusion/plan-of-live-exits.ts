import { InvalidArgumentError } from '../errors/index.js';
import type { FusionPlan } from './fusion-plan.js';

/**
 * The fusion plan that keeps exactly `liveExits` (ascending original exit indices, ending at
 * the last exit): each fused stage runs the original stages after the previous live exit up to
 * its own. `planFusion` derives the live exits from a policy; this is for a caller that must
 * keep an exit the policy never takes (the server keeps exit 0 for its drift monitor).
 *
 * @throws InvalidArgumentError when the exits are not strictly ascending non-negative integers.
 */
export function planOfLiveExits(liveExits: readonly number[]): FusionPlan {
  const groups: number[][] = [];
  let next = 0;
  for (const exit of liveExits) {
    if (!Number.isInteger(exit) || exit < next) {
      throw new InvalidArgumentError(
        `live exits must be ascending exit indices, got [${liveExits.join(', ')}]; list each exit once, in order`,
      );
    }
    groups.push(Array.from({ length: exit - next + 1 }, (_, offset) => next + offset));
    next = exit + 1;
  }
  return { liveExits: [...liveExits], groups };
}

/** `plan` with `exit` live too (unchanged when it already is). */
export function withLiveExit(plan: FusionPlan, exit: number): FusionPlan {
  if (plan.liveExits.includes(exit)) return plan;
  return planOfLiveExits([...plan.liveExits, exit].sort((a, b) => a - b));
}
