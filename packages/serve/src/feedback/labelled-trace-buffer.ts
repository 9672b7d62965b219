import { createTraces, type Traces } from '@pcee/core';

/**
 * The most recent labelled traces (logits at every exit, and the true label) of samples that
 * ran to the final exit: what the server recalibrates on. A ring of `capacity` samples; the
 * oldest leaves when a new one comes, so the buffer always describes the latest data.
 */
export class LabelledTraceBuffer {
  private readonly logits: Float32Array;
  private readonly labels: Int32Array;
  private next = 0;
  private filled = 0;
  /** Samples added since construction or `clear` (not capped). */
  added = 0;

  /**
   * @param capacity samples kept, ≥ 2.
   * @param exits L, and `classes` C, of the model.
   */
  constructor(
    readonly capacity: number,
    private readonly exits: number,
    private readonly classes: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 2) {
      throw new RangeError(`recalibration samples must be an integer ≥ 2, got ${capacity}`);
    }
    this.logits = new Float32Array(capacity * exits * classes);
    this.labels = new Int32Array(capacity);
  }

  /** Samples held now, ≤ `capacity`. */
  get size(): number {
    return this.filled;
  }

  /**
   * Adds one sample.
   *
   * @param trace logits `[exits, classes]` of the sample, read from `offset`.
   * @param label its true class.
   */
  add(trace: Float32Array, offset: number, label: number): void {
    const row = this.exits * this.classes;
    this.logits.set(trace.subarray(offset, offset + row), this.next * row);
    this.labels[this.next] = label;
    this.next = (this.next + 1) % this.capacity;
    this.filled = Math.min(this.filled + 1, this.capacity);
    this.added++;
  }

  /** Forgets every sample. */
  clear(): void {
    this.next = 0;
    this.filled = 0;
    this.added = 0;
  }

  /** The samples held, oldest first, as traces (copies). */
  traces(): Traces {
    const row = this.exits * this.classes;
    const start = this.filled === this.capacity ? this.next : 0;
    const order = Array.from({ length: this.filled }, (_, index) => (start + index) % this.capacity);
    const logits = new Float32Array(this.filled * row);
    const labels = new Int32Array(this.filled);
    order.forEach((slot, index) => {
      logits.set(this.logits.subarray(slot * row, (slot + 1) * row), index * row);
      labels[index] = this.labels[slot]!;
    });
    return createTraces(logits, labels, { samples: this.filled, exits: this.exits, classes: this.classes });
  }
}
