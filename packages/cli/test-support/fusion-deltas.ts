import { readFileSync } from 'node:fs';
import { compilePolicy, parseProfile, planFusion } from '@pcee/core';

/** The exits PCEE(δ) keeps live under the calibration profile at `profilePath` (core's planFusion). */
export function liveExits(profilePath: string, delta: number): readonly number[] {
  const profile = parseProfile(readFileSync(profilePath, 'utf8'), profilePath);
  return planFusion(compilePolicy(profile, 'pcee', delta)).liveExits;
}

/**
 * Two δs of PCEE for fusion tests, read from a calibration profile so they hold for whatever
 * weights the model has: at `allLive` every exit is live (each intermediate exit has a bin at
 * least that accurate), at `fuses` at least one intermediate exit is dead. An exit is live
 * while δ ≤ its most accurate non-empty bin, so both sit around the lowest such accuracy over
 * the intermediate exits; three decimals, as a user types them and the CLI prints them.
 * @throws Error when every intermediate exit has a bin of accuracy 1 (nothing can fuse).
 */
export function fusionDeltas(profilePath: string): { allLive: number; fuses: number } {
  const { diagrams } = parseProfile(readFileSync(profilePath, 'utf8'), profilePath);
  const best = diagrams.slice(0, -1).map((diagram) => {
    let accuracy = 0;
    diagram.count.forEach((count, k) => {
      if (count > 0) accuracy = Math.max(accuracy, diagram.correct[k]! / count);
    });
    return accuracy;
  });
  const lowest = Math.min(...best);
  // Thousandths just below and just above `lowest` (the checks guard against float rounding).
  let steps = Math.floor(lowest * 1000);
  if (steps / 1000 > lowest) steps--;
  if ((steps + 1) / 1000 <= lowest) steps++;
  const allLive = steps / 1000;
  const fuses = (steps + 1) / 1000;
  if (fuses > 1)
    throw new Error(`${profilePath}: every intermediate exit has a perfectly accurate bin; no δ fuses`);
  return { allLive, fuses };
}
