import type { PolicyEvaluation } from '@pcee/core';
import { comparisonChart } from '../charts/comparison-chart.js';
import { controllabilityChart } from '../charts/controllability-chart.js';
import { exitDistributionChart } from '../charts/exit-distribution-chart.js';
import type { ChartOptions } from '../charts/plot-render.js';
import { binCountChart, reliabilityChart } from '../charts/reliability-chart.js';
import { tradeoffChart } from '../charts/tradeoff-chart.js';
import type { ModelComparison } from '../data/model-comparison.js';
import type { ModelReport } from '../data/report-data.js';
import { formatDelta, formatFlops, formatPercent } from '../data/report-format.js';
import { escapeHtml } from './escape-html.js';
import { REPORT_STYLE } from './report-style.js';
import { tunedSection } from './tuned-section.js';

/** What one report page shows: a model, and optionally its comparison with another. */
export interface ReportContent {
  readonly report: ModelReport;
  readonly comparison?: ModelComparison;
  /** Version of the tool that wrote the page, shown in the footer. */
  readonly toolVersion: string;
}

/**
 * Renders the whole report as one self-contained HTML document: styles inlined, charts as
 * inline SVG rendered at build time, no scripts and no external resources. In Node pass
 * `{ document: serverDocument() }` (from `@pcee/report/node`) to draw the charts in.
 */
export function renderReportPage(content: ReportContent, chart: ChartOptions = {}): string {
  const { report, comparison } = content;
  const title = `PCEE report · ${report.modelId}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pcee ${escapeHtml(content.toolVersion)}">
<title>${escapeHtml(title)}</title>
<style>${REPORT_STYLE}</style>
</head>
<body>
<main>
${headerSection(report)}
${report.tuned ? tunedSection(report.tuned, report.costs.unit) : ''}
${comparison ? comparisonSection(comparison, chart) : ''}
${tradeoffSection(report, chart)}
${exitsSection(report, chart)}
${reliabilitySection(report, chart)}
<footer>Written by <code>pcee report</code> ${escapeHtml(content.toolVersion)} · Performance Control Early Exiting (arXiv 2412.19325). Calibration statistics come from the validation set the profile was built on; accuracies and costs from the test traces.</footer>
</main>
</body>
</html>
`;
}

function headerSection(report: ModelReport): string {
  const facts: [string, string][] = [
    ['test samples', report.testSamples.toLocaleString('en-US')],
    ['validation samples', report.validationSamples.toLocaleString('en-US')],
    ['classes', String(report.classes)],
    ['exits', String(report.exits)],
    ['full-model accuracy', formatPercent(report.fullModel.accuracy)],
    ['full-model cost', formatFlops(report.fullModel.cost, report.costs.unit)],
    ['confidence', report.confidence],
    ['bins', `${report.binning.bins} (${report.binning.method === 'width' ? 'equal width' : 'equal mass'})`],
  ];
  return `<header>
<h1><span class="kicker">PCEE report</span> · ${escapeHtml(report.modelId)}</h1>
<p class="lede">${escapeHtml(report.description ?? 'Early-exit model')}. PCEE lets a sample leave at the first exit whose validation accuracy, for samples of the same confidence, reaches the target δ.${report.classNames ? ` Classes: ${escapeHtml(report.classNames.join(', '))}.` : ''}</p>
<ul class="facts">${facts.map(([label, value]) => `<li><span>${escapeHtml(label)}</span><b>${escapeHtml(value)}</b></li>`).join('')}</ul>
</header>`;
}

function comparisonSection(comparison: ModelComparison, chart: ChartOptions): string {
  const { smaller, larger, largerAtBudget: point } = comparison;
  const unit = smaller.costs.unit;
  const rows: { name: string; delta: number | null; data: string; accuracy: number; cost: number }[] = [
    { name: `${smaller.modelId} (no early exit)`, delta: null, data: 'test', ...smaller.fullModel },
    { name: `${larger.modelId} (no early exit)`, delta: null, data: 'test', ...larger.fullModel },
  ];
  if (point) {
    const pcee = `${larger.modelId} + PCEE`;
    rows.push(
      { name: pcee, delta: point.delta, data: 'validation (chosen on)', ...evaluated(point.validation) },
      { name: pcee, delta: point.delta, data: 'test', ...evaluated(point.test) },
    );
  }
  return `<section data-section="comparison">
<h2>Large with early exit vs small without</h2>
<p class="answer" data-answer="comparison">${escapeHtml(comparison.answer)}</p>
<div class="row"><figure>${comparisonChart(comparison, chart)}</figure>
<div><table data-table="comparison"><thead><tr><th>model</th><th>δ</th><th>data</th><th>accuracy</th><th>mean cost</th></tr></thead><tbody>
${rows.map(({ name, delta, data, accuracy, cost }) => `<tr><td>${escapeHtml(name)}</td><td>${formatDelta(delta)}</td><td>${escapeHtml(data)}</td><td>${formatPercent(accuracy, 2)}</td><td>${escapeHtml(formatFlops(cost, unit))}</td></tr>`).join('\n')}
</tbody></table></div></div>
<p class="note">Both curves are PCEE over every δ where its decisions change, on each model's test traces, on one absolute cost axis. The larger model's δ is chosen on its ${comparison.validationSamples.toLocaleString('en-US')} validation samples, as <code>pcee tune --budget</code> chooses: the most accurate δ whose mean validation cost fits the smaller model's full cost. The test traces choose nothing; they only measure that δ, so its test cost can land a little above or below the budget.</p>
</section>`;
}

/** An evaluation's accuracy and mean cost, as a comparison row shows them. */
function evaluated(evaluation: PolicyEvaluation): { accuracy: number; cost: number } {
  return { accuracy: evaluation.accuracy, cost: evaluation.meanCost };
}

function tradeoffSection(report: ModelReport, chart: ChartOptions): string {
  const unit = report.costs.unit;
  const policyRow = (
    name: string,
    delta: number | null,
    accuracy: number,
    meanCost: number,
    relativeCost: number,
    reference = false,
  ) =>
    `<tr${reference ? ' class="reference"' : ''}><td>${escapeHtml(name)}</td><td>${formatDelta(delta)}</td><td>${formatPercent(accuracy, 2)}</td><td>${escapeHtml(formatFlops(meanCost, unit))}</td><td>${relativeCost.toFixed(3)}</td></tr>`;
  return `<section data-section="tradeoff">
<h2>Accuracy you ask for, compute you pay</h2>
<div class="row">
<figure>${controllabilityChart(report, chart)}<figcaption>Controllability: achieved test accuracy against the target δ. On or above the diagonal means the promise held.</figcaption></figure>
<figure>${tradeoffChart(report, chart)}<figcaption>Accuracy against relative cost over a δ sweep; grey dots are single heads used for every sample.</figcaption></figure>
</div>
<table data-table="highlights"><thead><tr><th>policy</th><th>δ</th><th>test accuracy</th><th>mean cost</th><th>relative cost</th></tr></thead><tbody>
${report.highlights.map((row) => policyRow('pcee', row.delta, row.accuracy, row.meanCost, row.relativeCost)).join('\n')}
${policyRow('oracle', null, report.oracle.accuracy, report.oracle.meanCost, report.oracle.relativeCost, true)}
${policyRow('full model', null, report.fullModel.accuracy, report.fullModel.cost, 1, true)}
</tbody></table>
</section>`;
}

function exitsSection(report: ModelReport, chart: ChartOptions): string {
  const unit = report.costs.unit;
  return `<section data-section="exits">
<h2>Where samples exit</h2>
<div class="row">
<figure>${exitDistributionChart(report, chart)}<figcaption>Share of test samples leaving at each exit under PCEE, per δ.</figcaption></figure>
<div><table data-table="exits"><thead><tr><th>exit</th><th>cost</th><th>relative</th><th>val. accuracy</th><th>test accuracy</th><th>ECE</th><th>MCE</th></tr></thead><tbody>
${report.exitReports.map((exit) => `<tr><td>${exit.exit}</td><td>${escapeHtml(formatFlops(exit.cost, unit))}</td><td>${exit.relativeCost.toFixed(3)}</td><td>${formatPercent(exit.accuracy, 2)}</td><td>${formatPercent(exit.testAccuracy, 2)}</td><td>${formatPercent(exit.ece, 2)}</td><td>${formatPercent(exit.mce, 2)}</td></tr>`).join('\n')}
</tbody></table>
<p class="note">Costs are cumulative: the backbone up to the exit plus every head evaluated on the way. The full model is the backbone plus the final head only.</p></div>
</div>
</section>`;
}

function reliabilitySection(report: ModelReport, chart: ChartOptions): string {
  return `<section data-section="reliability">
<h2>Reliability diagrams (validation)</h2>
<p class="note">Bars: accuracy per confidence bin; dots: the bin's mean confidence (area ∝ samples), with the red gap to the diagonal that ECE averages and MCE maximises. Below each diagram: samples per bin (log scale). PCEE exits where the bar reaches δ.</p>
<div class="grid">
${report.exitReports
  .map(
    (exit) => `<div class="exit-card" data-exit-card="${exit.exit}">
<h3>Exit ${exit.exit} · ${escapeHtml(formatFlops(exit.cost, report.costs.unit))} (${formatPercent(exit.relativeCost, 0)})</h3>
<p class="stats">accuracy ${formatPercent(exit.accuracy)} · ECE ${formatPercent(exit.ece, 2)} · MCE ${formatPercent(exit.mce, 2)}</p>
${reliabilityChart(exit, chart)}
${binCountChart(exit, chart)}
</div>`,
  )
  .join('\n')}
</div>
</section>`;
}
