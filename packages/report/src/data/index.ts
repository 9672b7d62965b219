/**
 * `@pcee/report/data`: the report's numbers without its charts or page, so a caller that
 * only needs data (a command's startup, a server) does not load the chart library.
 * Everything here is also exported by `@pcee/report`.
 *
 * @packageDocumentation
 */
export {
  CONTROL_SUMMARY_GRID,
  type ControllabilitySummary,
  controllabilitySummary,
  type PolicyMisses,
} from './controllability-summary.js';
export {
  type BudgetOperatingPoint,
  type ComparedModel,
  compareModels,
  type ModelComparison,
  operatingPointAtBudget,
  orderByCost,
} from './model-comparison.js';
export { type ModelReportOptions, modelReportFrom, type NamedTraces } from './model-report-from.js';
export { type ReliabilityBin, reliabilityBins } from './reliability-bins.js';
export {
  assembleModelReport,
  CONTROL_DELTAS,
  type ExitReport,
  HIGHLIGHT_DELTAS,
  type ModelDetails,
  type ModelReport,
  REPORT_POLICIES,
} from './report-data.js';
export { formatDelta, formatFlops, formatPercent, formatPoints } from './report-format.js';
export { type TunedReport, tunedReport } from './tuned-report.js';
