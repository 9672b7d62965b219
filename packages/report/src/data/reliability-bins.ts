import { binAccuracy, binConfidence, type ReliabilityDiagram } from '@pcee/core';

/** One bin of a reliability diagram as a chart row. */
export interface ReliabilityBin {
  /** Bin edges: confidences in [lower, upper) fall here (1.0 lands in the last bin). */
  readonly lower: number;
  readonly upper: number;
  /** Validation samples in the bin. */
  readonly count: number;
  /** Fraction of them the head got right, in [0, 1]; null for an empty bin. */
  readonly accuracy: number | null;
  /** Their mean confidence, in [0, 1]; null for an empty bin. */
  readonly meanConfidence: number | null;
}

/** The bins of a diagram as rows; empty bins keep null rates so charts can skip them. */
export function reliabilityBins(diagram: ReliabilityDiagram): ReliabilityBin[] {
  const accuracy = binAccuracy(diagram);
  const confidence = binConfidence(diagram);
  return Array.from(diagram.edges, (lower, bin) => ({
    lower,
    upper: bin + 1 < diagram.edges.length ? diagram.edges[bin + 1]! : 1,
    count: diagram.count[bin]!,
    accuracy: Number.isNaN(accuracy[bin]!) ? null : accuracy[bin]!,
    meanConfidence: Number.isNaN(confidence[bin]!) ? null : confidence[bin]!,
  }));
}
