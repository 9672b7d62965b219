import { InvalidArgumentError } from '../errors/index.js';
import type { CompiledPolicy } from '../policy/index.js';

/**
 * Which stages of a multi-exit model run as one graph at a given policy. An exit whose
 * table never exits is dead weight: its head costs time and its stage boundary costs a
 * copy out of and back into the backend, while no sample can leave there. Fusing drops
 * such exits and runs the stages around them as one graph.
 */
export interface FusionPlan {
  /** Original exit indices that stay, ascending; always ends with the last exit. */
  readonly liveExits: readonly number[];
  /** `groups[g]`: the original stages fused into stage g; its exit is `liveExits[g]`. */
  readonly groups: readonly (readonly number[])[];
}

/**
 * Plans fusion for a compiled policy: an exit is live when its table exits in at least one
 * confidence interval (the last exit is always live); `alsoDrop` removes further exits,
 * e.g. those whose expected saving at this δ is below their measured overhead.
 *
 * Decisions at the live exits do not depend on the dropped ones, so the fused model takes
 * the same exits and predictions as the unfused one for every sample.
 */
export function planFusion(policy: CompiledPolicy, alsoDrop: readonly number[] = []): FusionPlan {
  const last = policy.tables.length - 1;
  for (const exit of alsoDrop) {
    if (!Number.isInteger(exit) || exit < 0 || exit >= last) {
      throw new InvalidArgumentError(
        `cannot drop exit ${exit}: only exits 0…${last - 1} can be dropped (the last exit answers every remaining sample)`,
      );
    }
  }
  const liveExits = policy.tables
    .map((table, exit) => ({
      exit,
      live: exit === last || (table.exit.includes(1) && !alsoDrop.includes(exit)),
    }))
    .filter(({ live }) => live)
    .map(({ exit }) => exit);
  let first = 0;
  const groups = liveExits.map((exit) => {
    const group = Array.from({ length: exit - first + 1 }, (_, offset) => first + offset);
    first = exit + 1;
    return group;
  });
  return { liveExits, groups };
}

/** The policy's tables of the live exits only: the policy of the fused model. */
export function fusedPolicy(policy: CompiledPolicy, plan: FusionPlan): CompiledPolicy {
  return { ...policy, tables: plan.liveExits.map((exit) => policy.tables[exit]!) };
}

/** Whether the plan fuses anything (otherwise the model runs as it is). */
export function fusesAnything(plan: FusionPlan): boolean {
  return plan.groups.some((group) => group.length > 1);
}
