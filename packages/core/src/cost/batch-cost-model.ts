import { hint, InvalidArgumentError } from '../errors/index.js';
import { type AffineCost, type AffineCostFit, fitAffineCost } from './affine-cost-fit.js';

/**
 * Measured costs that know batch size, and why they are needed.
 *
 * An early-exit runner compacts its batch after every exit: of a batch of b samples, stage s
 * runs on the b_s that are still running. A stage run costs `fixed_s + b_s · perSample_s` ms
 * (see `fitAffineCost`), so per-sample costs measured at a full batch b charge a deep stage
 * only b_s/b of its fixed part, and over-promise by `fixed_s · (1 − b_s/b)` per stage and
 * batch; at batch 1 a stage's fixed part is paid by every sample that reaches it. This model
 * charges what a batch actually pays: for a batch of b entering,
 *
 *   cost(b) = Σ_s [ P(b_s > 0) · fixed_s + E[b_s] · perSample_s ],   E[b_s] = b · r_s,
 *
 * where r_s is the share of samples that reach stage s (exit there or later) and, samples
 * being drawn independently, P(b_s > 0) = 1 − (1 − r_s)^b: a stage no sample of the batch
 * reaches is not run and costs nothing. At b = 1 this is Σ_s r_s · (fixed_s + perSample_s).
 * Each stage's figure includes its head (the runner calls them together), as per-exit costs do.
 */

/** The times one batch size was measured at, ms per run (means over the timed rounds, see `measuredBatchCosts`). */
export interface BatchTiming {
  /** Samples per run. */
  readonly batch: number;
  /** Each stage (backbone part and its head) on the batch, ms. */
  readonly stageMs: readonly number[];
  /** The full model on the batch, ms (estimated from the stages without `full.onnx`). */
  readonly fullMs: number;
}

/**
 * Per-stage and full-model run costs as affine functions of batch size, fitted to timings at
 * several batch sizes (`pcee calibrate --cost-unit ms --batch 1,4,16,64`). Stored in a
 * profile as `costs.batchModel`; JSON-serialisable.
 */
export interface BatchCostModel {
  /** Batch sizes measured, ascending: predictions between the smallest and largest interpolate. */
  readonly batches: readonly number[];
  /** Per stage, its run cost (backbone part and its head) in ms, with the fit's residual. */
  readonly stages: readonly AffineCostFit[];
  /** The full model's run cost in ms, with the fit's residual. */
  readonly fullModel: AffineCostFit;
  /** The times the fits were made from, one entry per batch size. */
  readonly timings: readonly BatchTiming[];
}

/**
 * Fits one affine cost per stage and one for the full model to timings at several batch sizes
 * (see `fitAffineCost`).
 *
 * @param timings one entry per batch size (any order), each with the same number of stages.
 * @throws InvalidArgumentError for fewer than two distinct batch sizes, a repeated batch size,
 *   stage counts that differ, or a time that is not positive.
 */
export function fitBatchCostModel(timings: readonly BatchTiming[]): BatchCostModel {
  const sorted = [...timings].sort((a, b) => a.batch - b.batch);
  const batches = sorted.map((timing) => timing.batch);
  if (new Set(batches).size !== batches.length) {
    throw new InvalidArgumentError(`batch sizes ${batches.join(', ')} repeat; time each batch size once`);
  }
  const stages = sorted[0]?.stageMs.length ?? 0;
  if (sorted.some((timing) => timing.stageMs.length !== stages)) {
    throw new InvalidArgumentError('every batch size needs one time per stage');
  }
  return {
    batches,
    stages: Array.from({ length: stages }, (_, stage) =>
      fitAffineCost(
        batches,
        sorted.map((timing) => timing.stageMs[stage]!),
      ),
    ),
    fullModel: fitAffineCost(
      batches,
      sorted.map((timing) => timing.fullMs),
    ),
    timings: sorted,
  };
}

/**
 * Share of samples that reach each stage (exit there or later), from samples per exit:
 * `reach[s] = Σ_{l ≥ s} counts[l] / Σ_l counts[l]`, in [0, 1], non-increasing, reach[0] = 1.
 *
 * @throws InvalidArgumentError when there are no samples or a count is negative.
 */
export function reachShares(exitCounts: ArrayLike<number>): Float64Array {
  const reach = new Float64Array(exitCounts.length);
  let total = 0;
  for (let exit = 0; exit < exitCounts.length; exit++) {
    const count = exitCounts[exit]!;
    if (!(count >= 0)) throw new InvalidArgumentError(`exit ${exit} has ${count} samples; counts are ≥ 0`);
    total += count;
  }
  if (!(total > 0)) throw new InvalidArgumentError('reach shares need at least one sample');
  let reaching = total;
  for (let stage = 0; stage < exitCounts.length; stage++) {
    reach[stage] = reaching / total;
    reaching -= exitCounts[stage]!;
  }
  return reach;
}

/**
 * Expected cost of one batch of `batch` samples entering the model, ms, when a share
 * `reach[s]` of samples reaches stage s (see the note at the top of this file).
 *
 * @param reach per stage, in [0, 1] (see `reachShares`).
 * @param batch samples entering, ≥ 1 (need not be an integer: a mean batch size).
 * @throws InvalidArgumentError when the lengths differ or batch < 1.
 */
export function expectedBatchCost(
  stages: readonly AffineCost[],
  reach: ArrayLike<number>,
  batch: number,
): number {
  checkStages(stages, reach.length, batch);
  let total = 0;
  for (let stage = 0; stage < stages.length; stage++) {
    const share = reach[stage]!;
    if (!(share > 0)) continue;
    const { fixed, perSample } = stages[stage]!;
    total += (1 - (1 - share) ** batch) * fixed + batch * share * perSample;
  }
  return total;
}

/**
 * What the runs of a sequence of batches cost, ms, given where each sample exited: the
 * samples are taken `batch` at a time in order (the last batch may be smaller), as the
 * runner takes them, and stage s of a batch costs `fixed_s + n_s · perSample_s` when n_s > 0
 * of its samples reach it, nothing otherwise. Also what the full model costs on the same
 * batches. An exact prediction for one run, where `expectedBatchCost` is an expectation.
 *
 * @param exits per sample, the exit it took (original exit index, 0…L−1).
 * @throws InvalidArgumentError for batch < 1 or an exit index outside the model.
 */
export function costOfBatches(
  model: Pick<BatchCostModel, 'stages' | 'fullModel'>,
  exits: ArrayLike<number>,
  batch: number,
): { readonly earlyExitMs: number; readonly fullModelMs: number } {
  if (!Number.isInteger(batch) || batch < 1) {
    throw new InvalidArgumentError(`batch size ${batch} is not a positive integer`);
  }
  const stages = model.stages.length;
  const reaching = new Float64Array(stages);
  let earlyExitMs = 0;
  let fullModelMs = 0;
  for (let start = 0; start < exits.length; start += batch) {
    const end = Math.min(exits.length, start + batch);
    reaching.fill(0);
    for (let n = start; n < end; n++) {
      const exit = exits[n]!;
      if (!Number.isInteger(exit) || exit < 0 || exit >= stages) {
        throw new InvalidArgumentError(
          `sample ${n} took exit ${exit}, but the model has exits 0…${stages - 1}`,
        );
      }
      for (let stage = 0; stage <= exit; stage++) reaching[stage]!++;
    }
    for (let stage = 0; stage < stages; stage++) {
      const size = reaching[stage]!;
      if (size > 0) earlyExitMs += model.stages[stage]!.fixed + size * model.stages[stage]!.perSample;
    }
    fullModelMs += model.fullModel.fixed + (end - start) * model.fullModel.perSample;
  }
  return { earlyExitMs, fullModelMs };
}

/**
 * Mean cost per sample, ms, of batches of `batch` samples that exit as `exitCounts` says,
 * and the full model's cost per sample at the same batch: `expectedBatchCost / batch` and
 * `(fixed + batch · perSample) / batch`. Their ratio is the predicted speedup at that batch.
 *
 * @throws InvalidArgumentError as `reachShares` and `expectedBatchCost` do.
 */
export function meanCostAtBatch(
  model: Pick<BatchCostModel, 'stages' | 'fullModel'>,
  exitCounts: ArrayLike<number>,
  batch: number,
): { readonly meanCost: number; readonly fullModel: number } {
  const meanCost = expectedBatchCost(model.stages, reachShares(exitCounts), batch) / batch;
  return { meanCost, fullModel: model.fullModel.fixed / batch + model.fullModel.perSample };
}

/**
 * Checks a batch cost model read from a file: batch sizes ascending positive integers, one
 * fit per exit, every part finite and ≥ 0, and a run that costs something at batch 1.
 *
 * @throws InvalidArgumentError naming the offending value.
 */
export function validateBatchCostModel(model: BatchCostModel, exits: number): BatchCostModel {
  if (model.stages.length !== exits) {
    throw new InvalidArgumentError(
      `the batch cost model has ${model.stages.length} stages for ${exits} exits`,
      { hint: hint('recalibrate-in-ms') },
    );
  }
  model.batches.forEach((batch, index) => {
    if (!Number.isInteger(batch) || batch < 1 || (index > 0 && batch <= model.batches[index - 1]!)) {
      throw new InvalidArgumentError(
        `batch cost model batch sizes ${model.batches.join(', ')} must be positive integers, ascending`,
      );
    }
  });
  const fits = [
    ...model.stages.map((fit, stage) => [`stage ${stage}`, fit] as const),
    ['the full model', model.fullModel] as const,
  ];
  for (const [what, fit] of fits) {
    const parts = [fit.fixed, fit.perSample, fit.residual];
    if (parts.some((part) => !Number.isFinite(part) || part < 0) || !(fit.fixed + fit.perSample > 0)) {
      throw new InvalidArgumentError(
        `the batch cost of ${what} (fixed ${fit.fixed} ms, ${fit.perSample} ms per sample, residual ${fit.residual}) is not a cost`,
        { hint: hint('recalibrate-in-ms') },
      );
    }
  }
  return model;
}

/** Throws unless there is one reach share per stage and the batch size is ≥ 1. */
export function checkStages(stages: readonly AffineCost[], reach: number, batch: number): void {
  if (stages.length !== reach) {
    throw new InvalidArgumentError(
      `got ${reach} reach shares for ${stages.length} stages; give one per stage`,
    );
  }
  if (!(batch >= 1) || !Number.isFinite(batch)) {
    throw new InvalidArgumentError(`batch size ${batch} must be ≥ 1`);
  }
}
