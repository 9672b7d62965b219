/**
 * `@pcee/report`: the PCEE report as a library, for Node and the browser. Data (plain
 * objects from a calibration profile and scored test traces), the two-model comparison,
 * Observable Plot charts rendered to SVG markup, and the self-contained HTML page that
 * `pcee report` writes. Platform-free: charts draw in the page's `document`, or in the one
 * the caller passes (`serverDocument()` of `@pcee/report/node` in Node).
 *
 * @packageDocumentation
 */

export { MODEL_COLORS, POLICY_COLORS, POLICY_DASHES, REFERENCE_INK } from './charts/chart-theme.js';
export { comparisonChart } from './charts/comparison-chart.js';
export { controllabilityChart } from './charts/controllability-chart.js';
export { exitDistributionChart } from './charts/exit-distribution-chart.js';
export { type ChartData, type ChartOptions, renderPlot } from './charts/plot-render.js';
export { binCountChart, reliabilityChart } from './charts/reliability-chart.js';
export { tradeoffChart } from './charts/tradeoff-chart.js';
export {
  assembleModelReport,
  type BudgetOperatingPoint,
  CONTROL_DELTAS,
  CONTROL_SUMMARY_GRID,
  type ComparedModel,
  type ControllabilitySummary,
  compareModels,
  controllabilitySummary,
  type ExitReport,
  formatDelta,
  formatFlops,
  formatPercent,
  formatPoints,
  HIGHLIGHT_DELTAS,
  type ModelComparison,
  type ModelDetails,
  type ModelReport,
  type ModelReportOptions,
  modelReportFrom,
  type NamedTraces,
  operatingPointAtBudget,
  orderByCost,
  type PolicyMisses,
  REPORT_POLICIES,
  type ReliabilityBin,
  reliabilityBins,
  type TunedReport,
  tunedReport,
} from './data/index.js';
export { type BuiltReport, buildReport, type ReportRequest } from './page/build-report.js';
export { escapeHtml } from './page/escape-html.js';
export { type ReportContent, renderReportPage } from './page/report-page.js';
export { REPORT_STYLE } from './page/report-style.js';
export { tunedSection } from './page/tuned-section.js';
