import { InvalidArgumentError } from '../errors/index.js';
import { assertDelta } from './policy.js';

/** Most thresholds a range may expand to (guards against a typo like `0:1:0.000001`). */
const MAX_DELTAS = 100_000;

/**
 * Parses a δ specification: one value (`0.9`), a comma list (`0.8,0.9`), or an inclusive
 * range `start:stop:step` (`0.5:0.99:0.01`). Range values are `start + i·step` for integer
 * i, rounded to the decimals written, so they do not drift (0.3, not 0.30000000000000004).
 *
 * @returns thresholds in [0, 1], in the order written.
 * @throws InvalidArgumentError naming the bad part.
 */
export function parseDeltaList(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed.includes(':')) return parseRange(trimmed);
  return trimmed.split(',').map((part) => parseDelta(part));
}

function parseDelta(part: string): number {
  const value = part.trim() === '' ? Number.NaN : Number(part);
  if (!Number.isFinite(value)) {
    throw new InvalidArgumentError(`δ "${part}" is not a number; write e.g. 0.9, 0.8,0.9 or 0.5:0.99:0.01`);
  }
  assertDelta(value);
  return value;
}

function parseRange(text: string): number[] {
  const parts = text.split(':');
  if (parts.length !== 3) {
    throw new InvalidArgumentError(`δ range "${text}" must be start:stop:step, e.g. 0.5:0.99:0.01`);
  }
  const [start, stop] = [parseDelta(parts[0]!), parseDelta(parts[1]!)];
  const step = Number(parts[2]);
  if (!(step > 0) || !Number.isFinite(step)) {
    throw new InvalidArgumentError(`δ range step "${parts[2]}" must be a positive number`);
  }
  if (stop < start) {
    throw new InvalidArgumentError(`δ range "${text}" stops (${stop}) before it starts (${start})`);
  }
  const decimals = Math.max(...parts.map(decimalPlaces));
  // A tolerance of 1e-9 steps keeps an exactly reachable stop despite float division.
  const steps = Math.floor((stop - start) / step + 1e-9);
  if (steps + 1 > MAX_DELTAS) {
    throw new InvalidArgumentError(`δ range "${text}" expands to ${steps + 1} values; at most ${MAX_DELTAS}`);
  }
  return Array.from({ length: steps + 1 }, (_, index) => Number((start + index * step).toFixed(decimals)));
}

/** Decimals written in a plain number; 12 for exponent notation, enough to remove float noise. */
function decimalPlaces(text: string): number {
  if (/e/i.test(text)) return 12;
  const match = /\.(\d+)$/.exec(text.trim());
  return match ? match[1]!.length : 0;
}
