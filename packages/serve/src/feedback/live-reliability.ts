import { binLookup, type ReliabilityDiagram } from '@pcee/core';

/** Sums of confidences are kept in units of 2^-24, as profiles store them, so sliding out is exact. */
const CONFIDENCE_SCALE = 2 ** 24;

/**
 * Live reliability diagrams of one model: per exit and confidence bin (the profile's edges),
 * how many of the most recent `window` observed samples fell there and how many were
 * correct. Forgetting rule: a hard sliding window over observations in arrival order (the
 * oldest leaves when a new one comes), so the diagram describes the last `window` samples
 * exactly, and a shift is fully reflected after `window` samples. O(1) per sample.
 *
 * "Correct" is the label feedback (accuracy) or, for audited samples, agreement with the
 * final exit (consistency): one instance per signal.
 */
export class LiveReliability {
  private readonly lookups: ((confidence: number) => number)[];
  private readonly count: Float64Array[];
  private readonly correct: Float64Array[];
  private readonly confidenceUnits: Float64Array[];
  private readonly ringExit: Int16Array;
  private readonly ringBin: Int16Array;
  private readonly ringCorrect: Uint8Array;
  private readonly ringUnits: Float64Array;
  private next = 0;
  private filled = 0;

  /**
   * @param edges each exit's bin edges (the profile's `diagrams[l].edges`).
   * @param window samples kept, ≥ 1.
   */
  constructor(
    private readonly edges: readonly Float64Array[],
    readonly window: number,
  ) {
    if (!Number.isInteger(window) || window < 1) {
      throw new RangeError(`live calibration window must be a positive integer, got ${window}`);
    }
    this.lookups = edges.map((exitEdges) => binLookup(exitEdges));
    this.count = edges.map((exitEdges) => new Float64Array(exitEdges.length));
    this.correct = edges.map((exitEdges) => new Float64Array(exitEdges.length));
    this.confidenceUnits = edges.map((exitEdges) => new Float64Array(exitEdges.length));
    this.ringExit = new Int16Array(window);
    this.ringBin = new Int16Array(window);
    this.ringCorrect = new Uint8Array(window);
    this.ringUnits = new Float64Array(window);
  }

  /** Samples in the window now, ≤ `window`. */
  get samples(): number {
    return this.filled;
  }

  /**
   * Adds one observed sample.
   *
   * @param exit the exit whose prediction was checked.
   * @param confidence its confidence there, in [0, 1].
   * @param correct whether that prediction was right (or agreed with the final exit).
   */
  add(exit: number, confidence: number, correct: boolean): void {
    const slot = this.next;
    if (this.filled === this.window) {
      const oldExit = this.ringExit[slot]!;
      const oldBin = this.ringBin[slot]!;
      this.count[oldExit]![oldBin]!--;
      this.correct[oldExit]![oldBin]! -= this.ringCorrect[slot]!;
      this.confidenceUnits[oldExit]![oldBin]! -= this.ringUnits[slot]!;
    } else {
      this.filled++;
    }
    const bin = this.lookups[exit]!(confidence);
    const units = Math.round(confidence * CONFIDENCE_SCALE);
    this.ringExit[slot] = exit;
    this.ringBin[slot] = bin;
    this.ringCorrect[slot] = correct ? 1 : 0;
    this.ringUnits[slot] = units;
    this.count[exit]![bin]!++;
    this.correct[exit]![bin]! += correct ? 1 : 0;
    this.confidenceUnits[exit]![bin]! += units;
    this.next = (slot + 1) % this.window;
  }

  /** The window as one reliability diagram per exit (copies; the counts keep moving). */
  diagrams(): ReliabilityDiagram[] {
    return this.edges.map((edges, exit) => ({
      edges,
      count: Float64Array.from(this.count[exit]!),
      correct: Float64Array.from(this.correct[exit]!),
      sumConfidence: Float64Array.from(this.confidenceUnits[exit]!, (units) => units / CONFIDENCE_SCALE),
    }));
  }
}
