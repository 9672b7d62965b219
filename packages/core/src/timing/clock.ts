/**
 * A monotonic millisecond clock that exists in Node and browsers (`performance.now`),
 * read through `globalThis` so core needs no platform type definitions.
 */
export function now(): number {
  const performance = (globalThis as { performance?: { now(): number } }).performance;
  return performance ? performance.now() : Date.now();
}
