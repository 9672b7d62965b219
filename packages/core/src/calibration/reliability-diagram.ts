import { hint, InvalidArgumentError } from '../errors/index.js';
import {
  type BinningMethod,
  binIndex,
  equalMassEdges,
  equalWidthBinIndex,
  equalWidthEdges,
} from './binning.js';
import type { ExitScores } from './confidence.js';

/**
 * One exit's reliability diagram: per confidence bin, how many validation samples fell
 * in it, how many of those the head got right, and the sum of their confidences.
 * Counts (not rates) are kept so diagrams of disjoint shards merge exactly by addition.
 */
export interface ReliabilityDiagram {
  /** Ascending lower bin edges in [0, 1], `edges[0] = 0`; bin k is `[edges[k], edges[k+1])`. */
  readonly edges: Float64Array;
  /** Samples per bin (integers stored in float64: exact up to 2^53). */
  readonly count: Float64Array;
  /** Correct predictions per bin. */
  readonly correct: Float64Array;
  /** Sum of confidences per bin, each rounded to a multiple of 2^-24 (mean confidence = sumConfidence / count). */
  readonly sumConfidence: Float64Array;
}

/** Calibration summary of one exit. */
export interface CalibrationSummary {
  /** Samples counted. */
  readonly samples: number;
  /** Overall accuracy of the head, in [0, 1]. */
  readonly accuracy: number;
  /** Expected calibration error (l1): Σ_k |acc_k − conf_k| · count_k / N over non-empty bins. */
  readonly ece: number;
  /** Maximum calibration error: max_k |acc_k − conf_k| over non-empty bins. */
  readonly mce: number;
}

/** Options for building reliability diagrams. */
export interface BinningOptions {
  /** Number of bins B (default 15). */
  readonly bins?: number;
  /** Equal-width (default) or equal-mass edges. Equal-mass edges are chosen per exit. */
  readonly method?: BinningMethod;
}

/**
 * Builds one reliability diagram per exit from scored validation traces.
 *
 * @returns `diagrams[l]` for exit l.
 */
export function buildReliabilityDiagrams(
  scores: ExitScores,
  options: BinningOptions = {},
): ReliabilityDiagram[] {
  const bins = options.bins ?? 15;
  const method = options.method ?? 'width';
  if (method !== 'width' && method !== 'mass') {
    throw new InvalidArgumentError(`unknown binning method "${method}"; use "width" or "mass"`);
  }
  const { samples, exits, confidence, correct } = scores;
  const diagrams: ReliabilityDiagram[] = [];
  for (let exit = 0; exit < exits; exit++) {
    if (method === 'width') {
      diagrams.push(emptyDiagram(equalWidthEdges(bins)));
      continue;
    }
    const exitConfidences = new Float64Array(samples);
    for (let n = 0; n < samples; n++) exitConfidences[n] = confidence[n * exits + exit]!;
    diagrams.push(emptyDiagram(equalMassEdges(exitConfidences, bins)));
  }
  // One row-major pass over the [N, L] scores (not one strided pass per exit): calibrating
  // millions of rows is memory-bound.
  const width = method === 'width';
  for (let row = 0, exit = 0; row < samples * exits; row++, exit = exit + 1 === exits ? 0 : exit + 1) {
    const diagram = diagrams[exit]!;
    const c = confidence[row]!;
    const bin = width ? equalWidthBinIndex(diagram.edges, c) : binIndex(diagram.edges, c);
    diagram.count[bin]! += 1;
    diagram.correct[bin]! += correct[row]!;
    diagram.sumConfidence[bin]! += Math.round(c * CONFIDENCE_QUANTUM) / CONFIDENCE_QUANTUM;
  }
  return diagrams;
}

/**
 * Confidences are summed in units of 2^-24 (6e-8, far below any reported precision). Sums
 * of such multiples are exact in float64 up to 2^29 per bin, so the sum does not depend on
 * the order of addition: diagrams of shards merge into exactly (bit for bit) the diagram of
 * the union, and merged profiles are byte-identical to a profile of the whole set.
 */
const CONFIDENCE_QUANTUM = 2 ** 24;

/** A diagram with the given edges and all-zero counts. */
export function emptyDiagram(edges: Float64Array): ReliabilityDiagram {
  const bins = edges.length;
  return {
    edges: Float64Array.from(edges),
    count: new Float64Array(bins),
    correct: new Float64Array(bins),
    sumConfidence: new Float64Array(bins),
  };
}

/** Observed accuracy per bin, `correct / count`; NaN for empty bins. */
export function binAccuracy(diagram: ReliabilityDiagram): Float64Array {
  const accuracy = new Float64Array(diagram.count.length);
  for (let k = 0; k < accuracy.length; k++) {
    const count = diagram.count[k]!;
    accuracy[k] = count > 0 ? diagram.correct[k]! / count : Number.NaN;
  }
  return accuracy;
}

/** Mean confidence per bin; NaN for empty bins. */
export function binConfidence(diagram: ReliabilityDiagram): Float64Array {
  const mean = new Float64Array(diagram.count.length);
  for (let k = 0; k < mean.length; k++) {
    const count = diagram.count[k]!;
    mean[k] = count > 0 ? diagram.sumConfidence[k]! / count : Number.NaN;
  }
  return mean;
}

/** Accuracy, ECE (l1) and MCE of one exit's diagram. An empty diagram scores 0 everywhere. */
export function summarizeDiagram(diagram: ReliabilityDiagram): CalibrationSummary {
  let samples = 0;
  let correct = 0;
  let weightedGap = 0;
  let mce = 0;
  for (let k = 0; k < diagram.count.length; k++) {
    const count = diagram.count[k]!;
    if (count === 0) continue;
    const gap = Math.abs(diagram.correct[k]! / count - diagram.sumConfidence[k]! / count);
    samples += count;
    correct += diagram.correct[k]!;
    weightedGap += gap * count;
    if (gap > mce) mce = gap;
  }
  if (samples === 0) return { samples: 0, accuracy: 0, ece: 0, mce: 0 };
  return { samples, accuracy: correct / samples, ece: weightedGap / samples, mce };
}

/**
 * Adds diagrams of disjoint shards bin by bin. The result equals the diagram of the union
 * exactly, sums of confidences included (they are sums of multiples of 2^-24; see
 * `buildReliabilityDiagrams`).
 *
 * @throws InvalidArgumentError when the edges differ (equal-mass shards have their own
 *   quantiles; calibrate them with equal-width bins to merge).
 */
export function mergeDiagrams(first: ReliabilityDiagram, second: ReliabilityDiagram): ReliabilityDiagram {
  const sameEdges =
    first.edges.length === second.edges.length && first.edges.every((edge, k) => edge === second.edges[k]);
  if (!sameEdges) {
    throw new InvalidArgumentError(
      `cannot merge diagrams with different bin edges (${first.edges.length} vs ${second.edges.length} bins)`,
      { hint: hint('same-binning') },
    );
  }
  const merged = emptyDiagram(first.edges);
  for (let k = 0; k < merged.count.length; k++) {
    merged.count[k] = first.count[k]! + second.count[k]!;
    merged.correct[k] = first.correct[k]! + second.correct[k]!;
    merged.sumConfidence[k] = first.sumConfidence[k]! + second.sumConfidence[k]!;
  }
  return merged;
}
