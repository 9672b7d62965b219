import { hint, InvalidArgumentError } from '../errors/index.js';
import { type BatchCostModel, checkStages } from './batch-cost-model.js';
import type { ExitCosts } from './compute-cost.js';

/**
 * Per-exit costs (unit `ms`, per sample, cumulative) that charge what batches of `batch`
 * samples pay when a share `reach[s]` of samples reaches stage s: stage s costs every sample
 * that runs it `perSample_s + fixed_s · P(b_s > 0) / (batch · reach[s])`, its share of the
 * fixed part of the runs it is in. The mean of these costs over samples with that reach is
 * exactly `expectedBatchCost / batch`, so every consumer of `ExitCosts` (mean costs, budgets,
 * fusion) sees the batch-aware cost without knowing the model. A stage no sample reaches is
 * charged as a run of `batch` (nobody pays it). The full model costs `fixed / batch + perSample`.
 *
 * @param costs the profile's costs, kept for their measurement record.
 * @throws InvalidArgumentError when the model, reach and costs disagree on the number of exits.
 */
export function exitCostsAtBatch(
  costs: ExitCosts,
  model: BatchCostModel,
  reach: ArrayLike<number>,
  batch: number,
): ExitCosts {
  checkStages(model.stages, reach.length, batch);
  if (costs.exits.length !== model.stages.length) {
    throw new InvalidArgumentError(
      `costs have ${costs.exits.length} exits but the batch cost model has ${model.stages.length} stages`,
      { hint: hint('recalibrate-in-ms') },
    );
  }
  let cumulative = 0;
  const exits = model.stages.map(({ fixed, perSample }, stage) => {
    const share = reach[stage]!;
    const fixedShare = share > 0 ? (fixed * (1 - (1 - share) ** batch)) / (batch * share) : fixed / batch;
    cumulative += perSample + fixedShare;
    return cumulative;
  });
  return {
    unit: 'ms',
    exits,
    fullModel: model.fullModel.fixed / batch + model.fullModel.perSample,
    ...(costs.measurement ? { measurement: costs.measurement } : {}),
  };
}
