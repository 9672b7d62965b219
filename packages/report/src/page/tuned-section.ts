import type { CalibrationProfile } from '@pcee/core';
import { formatFlops, formatPercent } from '../data/report-format.js';
import type { TunedReport } from '../data/tuned-report.js';
import { escapeHtml } from './escape-html.js';

/** The "Tuned operating point" section of the report page. */
export function tunedSection(tuned: TunedReport, unit: CalibrationProfile['costs']['unit']): string {
  const { point, test } = tuned;
  const abstaining = point.abstain;
  const delta = point.exitDeltas
    ? `per exit: ${point.exitDeltas.map((value) => Number(value.toFixed(3))).join(' / ')}`
    : String(Number(point.delta!.toFixed(4)));
  const row = (
    name: string,
    values: { accuracy: number; meanCost: number; relativeCost: number; coverage?: number },
  ) =>
    `<tr><td>${escapeHtml(name)}</td><td>${formatPercent(values.accuracy, 2)}</td>${abstaining ? `<td>${formatPercent(values.coverage ?? 1, 1)}</td><td>${formatPercent(values.accuracy / (values.coverage || 1), 2)}</td>` : ''}<td>${escapeHtml(formatFlops(values.meanCost, unit))}</td><td>${values.relativeCost.toFixed(3)}</td></tr>`;
  const goal = point.guarantee
    ? `${abstaining ? 'selective accuracy' : 'accuracy'} ≥ ${formatPercent(point.guarantee.targetAccuracy, 2)} at risk ${point.guarantee.risk}`
    : `the most accurate within a mean cost of ${formatFlops(point.budget!.maxMeanCost, unit)} (${point.budget!.maxRelativeCost.toFixed(3)} of the full model)`;
  return `<section data-section="tuned">
<h2>Tuned operating point</h2>
<p>Policy <code>${escapeHtml(point.policy)}</code>, δ ${escapeHtml(delta)}${abstaining ? ', abstaining below δ at the last exit' : ''}, chosen by <code>pcee tune</code> on ${point.holdout.samples.toLocaleString('en-US')} holdout samples for ${escapeHtml(goal)}.</p>
<p class="answer" data-answer="guarantee">${escapeHtml(tuned.guarantee ?? 'Budget mode: an estimate on the holdout, not a guarantee.')}</p>
<table data-table="tuned"><thead><tr><th>data</th><th>accuracy</th>${abstaining ? '<th>coverage</th><th>selective accuracy</th>' : ''}<th>mean cost</th><th>relative cost</th></tr></thead><tbody>
${row('holdout (chosen on)', point.holdout)}
${row('test (this report)', test)}
</tbody></table>
</section>`;
}
