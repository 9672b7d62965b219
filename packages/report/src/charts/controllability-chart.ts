import * as Plot from '@observablehq/plot';
import { type ModelReport, REPORT_POLICIES } from '../data/report-data.js';
import { POLICY_COLORS, POLICY_DASHES, REFERENCE_INK } from './chart-theme.js';
import { type ChartOptions, renderPlot } from './plot-render.js';

/**
 * Controllability: the accuracy each policy achieves on test data against the target δ it
 * was given. A controllable policy stays on or above the diagonal up to the final head's
 * accuracy (the dotted ceiling no policy can pass).
 */
export function controllabilityChart(report: ModelReport, chart: ChartOptions = {}): string {
  // A square frame from just below the first head's accuracy: below it every policy exits
  // everything at exit 0, so nothing there is worth the space.
  const all = REPORT_POLICIES.flatMap((policy) => report.control[policy]);
  const lowest = Math.min(...all.map((row) => row.accuracy), report.exitReports[0]!.testAccuracy);
  const floor = Math.min(0.9, Math.max(0.5, Math.floor(lowest * 20) / 20));
  const inFrame = (policy: (typeof REPORT_POLICIES)[number]) =>
    report.control[policy].filter((row) => (row.delta ?? 0) >= floor);
  return renderPlot(
    {
      width: 420,
      height: 360,
      marginLeft: 44,
      x: { domain: [floor, 1], label: 'target accuracy δ →', tickFormat: '.2f' },
      y: { domain: [floor, 1], label: '↑ achieved test accuracy', grid: true, tickFormat: '.2f' },
      color: {
        domain: [...REPORT_POLICIES],
        range: REPORT_POLICIES.map((policy) => POLICY_COLORS[policy]),
        legend: true,
      },
      marks: [
        Plot.line(
          [
            [floor, floor],
            [1, 1],
          ],
          { stroke: REFERENCE_INK, strokeDasharray: '4,3' },
        ),
        Plot.ruleY([report.fullModel.accuracy], {
          stroke: POLICY_COLORS['full model'],
          strokeDasharray: '1,3',
        }),
        Plot.text([report.fullModel.accuracy], {
          x: floor,
          y: (accuracy: number) => accuracy,
          text: () => 'final head',
          textAnchor: 'start',
          dy: -6,
          fill: '#555',
        }),
        // pcee-ws is drawn last and dashed, so where it equals pcee both stay visible.
        ...(['confidence', 'pcee', 'pcee-ws'] as const).map((policy) =>
          Plot.line(inFrame(policy), {
            x: 'delta',
            y: 'accuracy',
            stroke: POLICY_COLORS[policy],
            strokeDasharray: POLICY_DASHES[policy],
            strokeWidth: 2,
            title: (row) => `${row.policy} δ=${row.delta}: accuracy ${row.accuracy.toFixed(4)}`,
          }),
        ),
      ],
    },
    { chart: 'controllability' },
    chart,
  );
}
