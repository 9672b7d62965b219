import type { CalibrationProfile } from '../calibration/index.js';
import {
  assertPolicyName,
  binAccuracy,
  binIndex,
  binLookup,
  type PolicyName,
  type ReliabilityDiagram,
  smoothedBinAccuracy,
  type ThresholdPolicyName,
} from '../calibration/index.js';
import { hint, InvalidArgumentError } from '../errors/index.js';

/** Throws unless δ is a number in [0, 1]. */
export function assertDelta(delta: number): void {
  if (typeof delta !== 'number' || !(delta >= 0 && delta <= 1)) {
    throw new InvalidArgumentError(`δ (target accuracy) must be a number in [0, 1], got ${delta}`, {
      hint: hint('choose-delta'),
    });
  }
}

/**
 * One exit's decision table over confidence intervals: interval k is
 * `[edges[k], edges[k+1])` (the last one closed at 1).
 */
export interface ExitTable {
  /** Ascending lower edges, `edges[0] = 0`. */
  readonly edges: Float64Array;
  /** 1 where a sample with confidence in the interval exits here. */
  readonly exit: Uint8Array;
  /** Validation accuracy of the calibration bin holding the interval (NaN when empty). */
  readonly estimatedAccuracy: Float64Array;
  /** Bin lookup for `edges` (O(1) for equal width). */
  readonly lookup: (confidence: number) => number;
}

/** A policy at one δ, compiled to one table per exit: a decision is one lookup. */
export interface CompiledPolicy {
  readonly policy: ThresholdPolicyName;
  /** The threshold; with per-exit thresholds, the loosest of the non-final ones. */
  readonly delta: number;
  /** Per-exit thresholds (`exitDeltas[l]` decides at exit l), when compiled with one δ per exit. */
  readonly exitDeltas?: readonly number[];
  /** `tables[l]` decides at exit l; the last exit's table always exits. */
  readonly tables: readonly ExitTable[];
  /**
   * Over the last table's intervals: 1 where the last exit's score reaches δ. With
   * abstention, a sample reaching the last exit in an interval marked 0 is answered
   * "abstain". Absent in hand-built policies, which then cannot abstain.
   */
  readonly lastExitAnswers?: Uint8Array;
}

/**
 * Per-bin score that a threshold policy compares with δ: bin accuracy for `pcee`, smoothed
 * accuracy for `pcee-ws`; −∞ for empty bins so they never exit.
 */
export function binExitScores(diagram: ReliabilityDiagram, policy: 'pcee' | 'pcee-ws'): Float64Array {
  const scores = policy === 'pcee' ? binAccuracy(diagram) : smoothedBinAccuracy(diagram);
  for (let k = 0; k < scores.length; k++) {
    if (Number.isNaN(scores[k]!)) scores[k] = Number.NEGATIVE_INFINITY;
  }
  return scores;
}

/**
 * Compiles a threshold policy at δ against a calibration profile.
 *
 * @param delta target accuracy in [0, 1], or one threshold per exit (`delta[l]` decides at
 *   exit l; the last one only matters for abstention).
 * @throws InvalidArgumentError for `oracle` (it needs labels), δ outside [0, 1], or a
 *   per-exit list of the wrong length.
 */
export function compilePolicy(
  profile: CalibrationProfile,
  policy: PolicyName,
  delta: number | readonly number[],
): CompiledPolicy {
  assertPolicyName(policy);
  if (policy === 'oracle') {
    throw new InvalidArgumentError(
      'the oracle policy needs the labels of the samples it decides on, so it cannot run; use it in evaluate only',
    );
  }
  const last = profile.diagrams.length - 1;
  const deltas = typeof delta === 'number' ? undefined : [...delta];
  if (deltas && deltas.length !== profile.diagrams.length) {
    throw new InvalidArgumentError(
      `per-exit thresholds need one δ per exit: got ${deltas.length} for ${profile.diagrams.length} exits`,
    );
  }
  const thresholdAt = (exit: number) => (deltas ? deltas[exit]! : (delta as number));
  (deltas ?? [delta as number]).forEach(assertDelta);
  let lastExitAnswers = new Uint8Array(0);
  const tables = profile.diagrams.map((diagram, exit) => {
    const accuracy = binAccuracy(diagram);
    const threshold = thresholdAt(exit);
    if (policy === 'confidence') {
      const table = confidenceTable(diagram.edges, accuracy, threshold, exit === last);
      if (exit === last)
        lastExitAnswers = Uint8Array.from(table.edges, (edge) => (edge >= threshold ? 1 : 0));
      return table;
    }
    const scores = binExitScores(diagram, policy);
    if (exit === last) lastExitAnswers = Uint8Array.from(scores, (score) => (score >= threshold ? 1 : 0));
    const exits = Uint8Array.from(scores, (score) => (exit === last || score >= threshold ? 1 : 0));
    return {
      edges: diagram.edges,
      exit: exits,
      estimatedAccuracy: accuracy,
      lookup: binLookup(diagram.edges),
    };
  });
  if (!deltas) return { policy, delta: delta as number, tables, lastExitAnswers };
  const loosest = Math.min(...(deltas.length > 1 ? deltas.slice(0, -1) : deltas));
  return { policy, delta: loosest, exitDeltas: deltas, tables, lastExitAnswers };
}

/** The confidence baseline as a table: δ becomes an extra edge, so `c ≥ δ` is one lookup. */
function confidenceTable(
  edges: Float64Array,
  accuracy: Float64Array,
  delta: number,
  isLast: boolean,
): ExitTable {
  const split = Array.from(edges);
  if (!split.includes(delta)) split.push(delta);
  split.sort((a, b) => a - b);
  const splitEdges = Float64Array.from(split);
  const estimatedAccuracy = Float64Array.from(splitEdges, (edge) => accuracy[binIndex(edges, edge)]!);
  const exit = Uint8Array.from(splitEdges, (edge) => (isLast || edge >= delta ? 1 : 0));
  return { edges: splitEdges, exit, estimatedAccuracy, lookup: binLookup(splitEdges) };
}

/** The outcome of deciding at one exit. */
export interface ExitDecision {
  /** True when the sample stops here. */
  readonly exit: boolean;
  /** Validation accuracy of the sample's calibration bin at this exit (NaN when empty). */
  readonly estimatedAccuracy: number;
}

/** Decides whether a sample with `confidence` at `exit` stops there: one bin lookup. */
export function decideExit(compiled: CompiledPolicy, exit: number, confidence: number): ExitDecision {
  const table = compiled.tables[exit]!;
  const interval = table.lookup(confidence);
  return { exit: table.exit[interval] === 1, estimatedAccuracy: table.estimatedAccuracy[interval]! };
}
