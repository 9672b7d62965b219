/** Compute costs per exit (FLOPs, ms, depth) and the affine-in-batch cost model. */
export { type AffineCost, type AffineCostFit, fitAffineCost } from './affine-cost-fit.js';
export {
  type BatchCostModel,
  type BatchTiming,
  costOfBatches,
  expectedBatchCost,
  fitBatchCostModel,
  meanCostAtBatch,
  reachShares,
  validateBatchCostModel,
} from './batch-cost-model.js';
export {
  type CostMeasurement,
  type CostUnit,
  costsFromStages,
  depthCosts,
  type ExitCosts,
  validateCosts,
} from './compute-cost.js';
export { exitCostsAtBatch } from './exit-costs-at-batch.js';
