import type { CalibrationProfile, CompiledPolicy } from '@pcee/core';

/**
 * Two δs of PCEE for fusion tests, read from the profile so they hold for whatever weights
 * the model has: at `allLive` every exit is live, at `fuses` at least one intermediate exit is
 * dead. An exit is live while δ ≤ its most accurate non-empty bin, so both sit around the
 * lowest such accuracy over the intermediate exits.
 * @throws Error when every intermediate exit has a bin of accuracy 1 (no δ fuses).
 */
export function fusionDeltas(profile: CalibrationProfile): { allLive: number; fuses: number } {
  const best = profile.diagrams.slice(0, -1).map((diagram) => {
    let accuracy = 0;
    diagram.count.forEach((count, k) => {
      if (count > 0) accuracy = Math.max(accuracy, diagram.correct[k]! / count);
    });
    return accuracy;
  });
  const lowest = Math.min(...best);
  if (lowest >= 1) throw new Error('every intermediate exit has a perfectly accurate bin; no δ fuses');
  return { allLive: lowest, fuses: Math.min(1, lowest + 1e-3) };
}

/** The live exits of a compiled policy, by definition: those whose table exits somewhere, and the last. */
export function liveExitsOf(policy: CompiledPolicy, alsoDrop: readonly number[] = []): number[] {
  const last = policy.tables.length - 1;
  return policy.tables.flatMap((table, exit) =>
    exit === last || (table.exit.includes(1) && !alsoDrop.includes(exit)) ? [exit] : [],
  );
}
