import { type ExitCosts, validateCosts } from '../cost/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { ModelManifest } from '../model/index.js';
import type { FusionPlan } from './fusion-plan.js';

/**
 * What each exit adds to the cost of every sample that passes it while it is live, in FLOPs:
 * its head (the manifest's `flops.head`). The last exit's head is paid by every sample that
 * reaches it, so it is never an overhead that fusion removes; it is listed for symmetry.
 */
export function headOverheads(manifest: ModelManifest): number[] {
  return manifest.stages.map((stage) => stage.flops.head);
}

/**
 * Cumulative exit costs, indexed by original exit, once the exits in `dropped` are gone: exit
 * `m` costs `costs.exits[m]` minus the overhead of every dropped exit `d < m` (their heads are
 * not run and their stage boundaries not crossed). A dropped exit keeps its cost (an upper
 * bound of what passing it costs), which nobody pays since no sample leaves there. The
 * full-model cost does not change (it has no intermediate heads).
 *
 * @param overheads per original exit, in the costs' unit, ≥ 0: what the exit adds while it is
 *   live (`headOverheads` for FLOPs, plus a measured boundary cost when the costs include
 *   boundaries, see `withBoundaryCosts`).
 * @throws InvalidArgumentError when `overheads` has the wrong length or a negative or
 *   non-finite entry, or `dropped` names the last exit or an exit that does not exist.
 */
export function costsWithoutExits(
  costs: ExitCosts,
  dropped: readonly number[],
  overheads: readonly number[],
): ExitCosts {
  const exits = costs.exits.length;
  checkOverheads(overheads, exits);
  for (const exit of dropped) {
    if (!Number.isInteger(exit) || exit < 0 || exit >= exits - 1) {
      throw new InvalidArgumentError(
        `cannot drop exit ${exit}: only exits 0…${exits - 2} can be dropped (the last exit answers every remaining sample)`,
      );
    }
  }
  const gone = new Set(dropped);
  let saved = 0;
  let previous = 0;
  const fused = costs.exits.map((cost, exit) => {
    // An overhead larger than what its stage costs (costs without boundaries, overheads with)
    // would make costs fall; clamp so they stay cumulative.
    previous = Math.max(previous, cost - saved);
    if (gone.has(exit)) saved += overheads[exit]!;
    return previous;
  });
  return validateCosts({ unit: costs.unit, exits: fused, fullModel: costs.fullModel }, exits);
}

/**
 * Costs that also count stage boundaries: exit `m` pays every boundary it crosses,
 * `costs.exits[m] + Σ_{l<m} boundaries[l]`. Use it to weigh exits in FLOPs when a boundary has
 * a measured cost (converted to FLOPs at the model's measured rate): a stage boundary costs
 * a copy out of the backend and one back in, which FLOPs do not see. The full-model cost
 * stays (it has no boundaries).
 *
 * @param boundaries per exit, ≥ 0, in the costs' unit: the cost of going on past that exit
 *   (the last entry is unused).
 */
export function withBoundaryCosts(costs: ExitCosts, boundaries: readonly number[]): ExitCosts {
  checkOverheads(boundaries, costs.exits.length);
  let crossed = 0;
  const exits = costs.exits.map((cost, exit) => {
    const total = cost + crossed;
    crossed += boundaries[exit]!;
    return total;
  });
  return validateCosts({ unit: costs.unit, exits, fullModel: costs.fullModel }, exits.length);
}

/**
 * Cumulative costs of a fused model, indexed by fused exit `g` (original exit
 * `plan.liveExits[g]`): what the fused execution pays, i.e. the original cumulative cost minus
 * the overhead of every exit the plan dropped before it.
 *
 * @param overheads per original exit, in the costs' unit (see `costsWithoutExits`).
 * @throws InvalidArgumentError when the plan does not fit the costs.
 */
export function fusedExitCosts(costs: ExitCosts, plan: FusionPlan, overheads: readonly number[]): ExitCosts {
  const exits = costs.exits.length;
  if (plan.liveExits.at(-1) !== exits - 1) {
    throw new InvalidArgumentError(
      `fusion plan ends at exit ${plan.liveExits.at(-1)} but the costs have ${exits} exits; plan fusion with this model's policy`,
    );
  }
  const live = new Set(plan.liveExits);
  const dropped = Array.from({ length: exits }, (_, exit) => exit).filter((exit) => !live.has(exit));
  const all = costsWithoutExits(costs, dropped, overheads);
  return {
    unit: costs.unit,
    exits: plan.liveExits.map((exit) => all.exits[exit]!),
    fullModel: costs.fullModel,
  };
}

function checkOverheads(overheads: readonly number[], exits: number): void {
  if (overheads.length !== exits) {
    throw new InvalidArgumentError(
      `got ${overheads.length} exit overheads for ${exits} exits; give one per exit (0 where unknown)`,
    );
  }
  overheads.forEach((overhead, exit) => {
    if (!Number.isFinite(overhead) || overhead < 0) {
      throw new InvalidArgumentError(
        `overhead of exit ${exit} is ${overhead}; overheads must be finite and ≥ 0`,
      );
    }
  });
}
