import { hint, InvalidArgumentError } from '../errors/index.js';

/**
 * Fixed-sequence testing: hypotheses tested one by one in an order fixed before seeing the
 * data, each at the full level α, stopping at the first that is not rejected. It controls
 * the family-wise error rate at α (the chance of rejecting any true null is ≤ α) with no
 * multiplicity correction, because a true null can only be rejected if it is the first
 * true null in the order — a single test at level α.
 *
 * @param pValues valid p-values in the fixed order.
 * @param risk α in (0, 1).
 * @returns how many hypotheses, from the start, are rejected.
 */
export function fixedSequenceRejections(pValues: readonly number[], risk: number): number {
  assertRisk(risk);
  let rejected = 0;
  while (rejected < pValues.length && pValues[rejected]! <= risk) rejected++;
  return rejected;
}

/** Throws unless α is a number in (0, 1). */
export function assertRisk(risk: number): void {
  if (typeof risk !== 'number' || !(risk > 0 && risk < 1)) {
    throw new InvalidArgumentError(`risk α must be a number in (0, 1), got ${risk}`, {
      hint: hint('choose-risk'),
    });
  }
}

/** Throws unless a target accuracy is a number in (0, 1]. */
export function assertTargetAccuracy(target: number): void {
  if (typeof target !== 'number' || !(target > 0 && target <= 1)) {
    throw new InvalidArgumentError(`target accuracy must be a number in (0, 1], got ${target}`, {
      hint: hint('choose-target-accuracy'),
    });
  }
}
