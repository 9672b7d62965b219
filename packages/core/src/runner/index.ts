/** Running a staged model: the early-exit runner, full-model predictions, measured stage costs. */
export {
  modelInputMap,
  type RunOptions,
  type RunResult,
  runEarlyExit,
  traceModel,
} from './early-exit-runner.js';
export { predictWithFullModel } from './full-model-predictions.js';
export {
  describeMeasurementMismatch,
  type MeasurementContext,
  type MeasurementSetting,
  measuredBatchCosts,
  measuredCosts,
  measureStageLatencies,
  measureStageLatenciesAtBatches,
  type StageLatencies,
  type StageLatencyOptions,
} from './measured-costs.js';
