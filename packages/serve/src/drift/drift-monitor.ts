import { binLookup } from '@pcee/core';
import type { DriftReference } from './drift-reference.js';
import { populationStabilityIndex } from './population-stability.js';

/** Settings of a drift monitor. */
export interface DriftOptions {
  /** Samples in the sliding window (the most recent ones), ≥ 1. */
  readonly window: number;
  /** PSI above which a signal counts as drifted (and is logged once), > 0. Default 0.25. */
  readonly threshold?: number;
  /** Samples the window needs before any PSI is computed. Default min(window, 500). */
  readonly minSamples?: number;
  /** Samples between two evaluations of the indices. Default 256. */
  readonly evaluateEvery?: number;
  /** Called once when a signal's PSI rises above the threshold (again after it fell below). */
  readonly onDrift?: (signal: DriftSignal, psi: number, snapshot: DriftSnapshot) => void;
}

/** One compared distribution: first-exit confidence, exit shares, or the confidence at one exit. */
export type DriftSignal =
  | { readonly kind: 'first-confidence'; readonly exit: number }
  | { readonly kind: 'exit-share' }
  | { readonly kind: 'exit-confidence'; readonly exit: number };

/** The latest evaluation. NaN marks an index not computable (too few samples, or no reference). */
export interface DriftSnapshot {
  /** Samples in the window now. */
  readonly samples: number;
  /** Share of the window's samples per exit. */
  readonly exitShare: Float64Array;
  /** Reference share per exit (NaN without reference traces). */
  readonly referenceShare: Float64Array;
  /** PSI of the first exit's confidence histogram vs the profile. */
  readonly firstConfidencePsi: number;
  /** PSI of the exit shares vs the reference. */
  readonly exitSharePsi: number;
  /** PSI per exit of the confidence histogram of samples exiting there. */
  readonly exitConfidencePsi: Float64Array;
}

/** Samples an exit needs in the window before its confidence histogram is compared. */
const MIN_SAMPLES_PER_EXIT = 100;

/**
 * Watches the served distribution for shift away from calibration, the method's weak point:
 * over a sliding window of the most recent samples it keeps the share per exit, each exit's
 * confidence histogram (of samples exiting there) and the first exit's confidence histogram
 * (every sample), and compares them with the reference by population stability index.
 * O(1) per sample: histograms are updated as samples enter and leave the window.
 */
export class DriftMonitor {
  private readonly window: number;
  private readonly threshold: number;
  private readonly minSamples: number;
  private readonly evaluateEvery: number;
  private readonly exits: number;
  private readonly lookups: ((confidence: number) => number)[];
  private readonly ringExit: Int16Array;
  private readonly ringBin: Int16Array;
  private readonly ringFirstBin: Int16Array;
  private readonly exitCounts: Float64Array;
  private readonly exitHistograms: Float64Array[];
  private readonly firstHistogram: Float64Array;
  private readonly alerted = new Map<string, boolean>();
  private next = 0;
  private filled = 0;
  private sinceEvaluation = 0;
  private dirty = false;
  private latest: DriftSnapshot;

  constructor(
    private readonly reference: DriftReference,
    private readonly options: DriftOptions,
  ) {
    if (!Number.isInteger(options.window) || options.window < 1) {
      throw new RangeError(`drift window must be a positive integer, got ${options.window}`);
    }
    this.window = options.window;
    this.threshold = options.threshold ?? 0.25;
    this.minSamples = options.minSamples ?? Math.min(options.window, 500);
    this.evaluateEvery = options.evaluateEvery ?? 256;
    this.exits = reference.edges.length;
    this.lookups = reference.edges.map((edges) => binLookup(edges));
    this.ringExit = new Int16Array(this.window);
    this.ringBin = new Int16Array(this.window);
    this.ringFirstBin = new Int16Array(this.window);
    this.exitCounts = new Float64Array(this.exits);
    this.exitHistograms = reference.edges.map((edges) => new Float64Array(edges.length));
    this.firstHistogram = new Float64Array(reference.firstCounts.length);
    this.latest = this.evaluate();
  }

  /**
   * Adds one served sample.
   *
   * @param exit the exit it took.
   * @param confidence its confidence there, in [0, 1].
   * @param firstConfidence its confidence at the reference's first exit, in [0, 1].
   */
  observe(exit: number, confidence: number, firstConfidence: number): void {
    const slot = this.next;
    if (this.filled === this.window) {
      const oldExit = this.ringExit[slot]!;
      this.exitCounts[oldExit]--;
      this.exitHistograms[oldExit]![this.ringBin[slot]!]--;
      this.firstHistogram[this.ringFirstBin[slot]!]--;
    } else {
      this.filled++;
    }
    const bin = this.lookups[exit]!(confidence);
    const firstBin = this.lookups[this.reference.firstExit]!(firstConfidence);
    this.ringExit[slot] = exit;
    this.ringBin[slot] = bin;
    this.ringFirstBin[slot] = firstBin;
    this.exitCounts[exit]++;
    this.exitHistograms[exit]![bin]++;
    this.firstHistogram[firstBin]++;
    this.next = (slot + 1) % this.window;
    this.dirty = true;
    if (++this.sinceEvaluation >= this.evaluateEvery) {
      this.sinceEvaluation = 0;
      this.latest = this.evaluate();
      this.dirty = false;
      this.alertOnCrossings(this.latest);
    }
  }

  /** The indices over the current window (recomputed only when samples arrived since). */
  snapshot(): DriftSnapshot {
    if (this.dirty) {
      this.latest = this.evaluate();
      this.dirty = false;
    }
    return this.latest;
  }

  /** Recomputes the indices now. */
  evaluate(): DriftSnapshot {
    const samples = this.filled;
    const exitShare = Float64Array.from(this.exitCounts, (count) => (samples > 0 ? count / samples : 0));
    const reference = this.reference.exits;
    const referenceTotal = reference ? reference.share.reduce((sum, count) => sum + count, 0) : 0;
    const referenceShare = Float64Array.from({ length: this.exits }, (_, exit) =>
      reference ? reference.share[exit]! / referenceTotal : Number.NaN,
    );
    const enough = samples >= this.minSamples;
    const exitConfidencePsi = new Float64Array(this.exits).fill(Number.NaN);
    if (enough && reference) {
      for (let exit = 0; exit < this.exits; exit++) {
        if (this.exitCounts[exit]! >= MIN_SAMPLES_PER_EXIT && reference.share[exit]! > 0) {
          exitConfidencePsi[exit] = populationStabilityIndex(
            reference.confidence[exit]!,
            this.exitHistograms[exit]!,
          );
        }
      }
    }
    return {
      samples,
      exitShare,
      referenceShare,
      firstConfidencePsi: enough
        ? populationStabilityIndex(this.reference.firstCounts, this.firstHistogram)
        : Number.NaN,
      exitSharePsi:
        enough && reference ? populationStabilityIndex(reference.share, this.exitCounts) : Number.NaN,
      exitConfidencePsi,
    };
  }

  private alertOnCrossings(snapshot: DriftSnapshot): void {
    const check = (key: string, signal: DriftSignal, psi: number) => {
      if (Number.isNaN(psi)) return;
      const above = psi > this.threshold;
      if (above && !this.alerted.get(key)) this.options.onDrift?.(signal, psi, snapshot);
      this.alerted.set(key, above);
    };
    check('first', { kind: 'first-confidence', exit: this.reference.firstExit }, snapshot.firstConfidencePsi);
    check('share', { kind: 'exit-share' }, snapshot.exitSharePsi);
    snapshot.exitConfidencePsi.forEach((psi, exit) => {
      check(`exit-${exit}`, { kind: 'exit-confidence', exit }, psi);
    });
  }
}
