import { type ExitCosts, meanCostAtBatch } from '@pcee/core';

/** What one batch size is predicted to cost per sample, from a batch cost model. */
export interface PredictedBatchCost {
  /** Samples per batch entering stage 0. */
  readonly batch: number;
  /** Early exit, mean cost per sample, ms (stages charged for the batches they see after compaction). */
  readonly earlyExitMs: number;
  /** The full model (`full.onnx`) per sample at the same batch size, ms. */
  readonly fullModelMs: number;
  /** fullModelMs / earlyExitMs. */
  readonly speedup: number;
}

/**
 * The speedup the profile's batch cost model predicts for the served policy at each batch
 * size, from the share of reference samples (the validation traces, run through the served
 * policy) that exits at each exit; undefined when the costs have no batch model (one batch
 * size measured, FLOPs) or there are no reference traces to take exit shares from.
 *
 * @param exitShares samples (or shares) per exit at the served policy.
 * @param batches batch sizes to predict, ≥ 1 (e.g. 1 and the scheduler's largest batch).
 */
export function predictServedCost(
  costs: ExitCosts,
  exitShares: ArrayLike<number> | undefined,
  batches: readonly number[],
): PredictedBatchCost[] | undefined {
  const model = costs.batchModel;
  if (!model || !exitShares) return undefined;
  return batches.map((batch) => {
    const { meanCost, fullModel } = meanCostAtBatch(model, exitShares, batch);
    return { batch, earlyExitMs: meanCost, fullModelMs: fullModel, speedup: fullModel / meanCost };
  });
}
