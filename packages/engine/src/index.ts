/**
 * @pcee/engine — early-exit inference over any PCEE `Runtime` (onnxruntime-node,
 * onnxruntime-web): the fused or stage-by-stage engine `pcee run`, `pcee bench` and the server
 * share, the choice of slow exits to drop, cost and exit-overhead measuring, synthetic inputs,
 * split verification, and the one "profile fits this model" check. Platform-free; what needs
 * Node is under `@pcee/engine/node`.
 *
 * @packageDocumentation
 */
export {
  type BenchEarlyExitOptions,
  type BenchMeasurement,
  type BenchRow,
  benchEarlyExit,
  benchRunCount,
  type FullModelRow,
  unmeasuredBatch,
} from './bench-early-exit.js';
export { type BenchEngineOptions, type BenchEngines, openBenchEngines } from './bench-engines.js';
export {
  describeDrops,
  describePlan,
  type EarlyExitEngine,
  type EngineRun,
  openEngine,
  type SlowExitChooser,
  type SlowExitDrops,
  slowExitChooser,
} from './early-exit-engine.js';
export { FusedRunner, type FusedRunOptions, type FusedRunResult, runEarlyExitFused } from './fused-runner.js';
export { buildManifestV2, type ManifestParts, type WrittenFile } from './manifest-v2.js';
export { type CostMeasureOptions, measureModelCosts } from './measure-costs.js';
export { type MeasureOverheadOptions, measureExitOverhead } from './measure-exit-overhead.js';
export {
  type MeasuredDelta,
  measureSpeedup,
  type SpeedupInputs,
  type SpeedupMeasurement,
} from './measure-speedup.js';
export { inputsFromArrays } from './model-input-arrays.js';
export {
  formatOperatingDelta,
  type OperatingPoint,
  type OperatingPointFlags,
  parseRunPolicies,
  resolveOperatingPoints,
} from './operating-point.js';
export {
  assertProfileFitsModel,
  type ModelWithInputs,
  type ProfileFit,
  type RawModelInputs,
  recalibrateHint,
  withModelInputs,
} from './profile-fit.js';
export { rawModelInputs } from './raw-model-inputs.js';
export { type PredictionRecord, predictionRecords } from './run-predictions.js';
export { type RunSummary, summarizeRun } from './run-summary.js';
export {
  assertSplitReproduces,
  SPLIT_TOLERANCE,
  type SplitOptions,
  type SplitPackage,
  splitModelPackage,
} from './split-model.js';
export { syntheticInputs } from './synthetic-inputs.js';
export { type SplitCheck, type SplitToVerify, verifySplit } from './verify-split.js';
