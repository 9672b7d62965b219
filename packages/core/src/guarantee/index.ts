/** Finite-sample guarantees: Learn-then-Test tuning, budgets, tuned operating points, accuracy monitoring. */
export {
  AccuracyMonitor,
  type AccuracyMonitorOptions,
  type AccuracyMonitorState,
  DEFAULT_ACCURACY_MONITOR_RECENT,
} from './accuracy-monitor.js';
export {
  binomialCdf,
  clopperPearsonUpper,
  errorRatePValue,
  logGamma,
  regularizedIncompleteBeta,
} from './binomial-tail.js';
export {
  type BudgetOperatingPoint,
  type BudgetOperatingPointOptions,
  tuneBudgetOperatingPoint,
} from './budget-operating-point.js';
export {
  type BudgetTuning,
  type BudgetTuningOptions,
  mostAccurateWithinBudget,
  tuneForBudget,
} from './budget-tuning.js';
export { type CostBudget, parseCostBudget } from './cost-budget.js';
export { assertRisk, assertTargetAccuracy, fixedSequenceRejections } from './fixed-sequence.js';
export {
  type AccuracyTuning,
  type AccuracyTuningOptions,
  answeredAccuracy,
  certifyEvaluations,
  GUARANTEE_METHOD,
  type ThresholdTest,
  tuneForAccuracy,
  tuningCandidates,
} from './learn-then-test.js';
export {
  type ExitSearchData,
  type ExitSearchOptions,
  evaluateThresholds,
  searchExitThresholds,
} from './per-exit-search.js';
export {
  type ResamplingOptions,
  type ResamplingRow,
  resampleGuarantee,
  subsetScores,
} from './resampling-study.js';
export { accuracyOperatingPoint, compileTunedPolicy, tunedHoldout } from './tuned-operating-point.js';
