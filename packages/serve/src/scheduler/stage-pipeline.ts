/**
 * What the scheduler needs from a loaded model: run one stage on a batch of carried tensors,
 * and cut and join such batches by rows. `Carried` is whatever a stage hands to the next
 * (the preprocessed inputs before stage 0); the scheduler never looks inside it, so one
 * scheduler serves every model format (see `model-pipeline.ts` for the adapter).
 */
export interface StagePipeline<Carried> {
  /** Number of stages the scheduler walks (1 for the full-model baseline). */
  readonly stages: number;
  /** `exitOfStage[s]`: the exit a sample leaving after stage `s` reports (the baseline's one stage is exit L−1). */
  readonly exitOfStage: readonly number[];
  /** Width of every stage's logits. */
  readonly classes: number;
  /**
   * Runs stage `stage` on a batch. Resolves to its logits `[rows, classes]` (float32) and,
   * before the last stage, what the next stage needs for the same rows.
   */
  run(stage: number, input: Carried): Promise<{ readonly logits: Float32Array; readonly next?: Carried }>;
  /** Rows (samples) in a batch. */
  rows(batch: Carried): number;
  /** Rows `[from, to)`, as a view where possible. */
  slice(batch: Carried, from: number, to: number): Carried;
  /** The first `count` entries of `rows`, gathered into a new batch. */
  gather(batch: Carried, rows: Int32Array, count: number): Carried;
  /** Batches joined by rows, in order (the caller guarantees equal `shapeKey`s). */
  concat(batches: readonly Carried[]): Carried;
  /**
   * Batches with different keys never share a run: the non-batch dimensions of every
   * carried tensor (a sequence length can differ between requests).
   */
  shapeKey(batch: Carried): string;
}
