import * as Plot from '@observablehq/plot';
import { type ModelReport, REPORT_POLICIES } from '../data/report-data.js';
import { formatDelta } from '../data/report-format.js';
import { POLICY_COLORS, POLICY_DASHES } from './chart-theme.js';
import { type ChartOptions, renderPlot } from './plot-render.js';

/**
 * Accuracy against relative cost (mean cost / full-model cost) for every policy over its δ
 * sweep, with each head used alone (grey), the oracle (the cheapest exits that are right)
 * and the full model at 1.
 */
export function tradeoffChart(report: ModelReport, chart: ChartOptions = {}): string {
  const curves = REPORT_POLICIES.flatMap((policy) => report.tradeoff[policy]);
  // Labelling every highlighted δ crowds the knee of the curve; the ends tell the range.
  const labelled = [report.highlights[0]!, report.highlights[report.highlights.length - 1]!];
  const singleHeads = report.exitReports.map((exit) => ({
    relativeCost: exit.relativeCost,
    accuracy: exit.testAccuracy,
    label: `exit ${exit.exit}`,
  }));
  const points = [
    {
      relativeCost: report.oracle.relativeCost,
      accuracy: report.oracle.accuracy,
      label: 'oracle',
      policy: 'oracle',
    },
    { relativeCost: 1, accuracy: report.fullModel.accuracy, label: 'full model', policy: 'full model' },
  ];
  const lowest = Math.min(...singleHeads.map((head) => head.accuracy), ...curves.map((row) => row.accuracy));
  const domain = ['pcee', 'pcee-ws', 'confidence', 'oracle', 'full model'] as const;
  return renderPlot(
    {
      width: 520,
      height: 360,
      marginLeft: 44,
      marginRight: 24,
      x: { label: 'relative cost (mean cost / full model) →', tickFormat: '.1f', nice: true, zero: true },
      y: {
        domain: [
          Math.floor(lowest * 50) / 50,
          Math.min(1, Math.ceil(report.oracle.accuracy * 100) / 100 + 0.01),
        ],
        label: '↑ test accuracy',
        grid: true,
        tickFormat: '.2f',
      },
      color: { domain: [...domain], range: domain.map((name) => POLICY_COLORS[name]), legend: true },
      marks: [
        Plot.line(singleHeads, {
          x: 'relativeCost',
          y: 'accuracy',
          stroke: '#c4c8cf',
          strokeDasharray: '3,3',
        }),
        Plot.dot(singleHeads, { x: 'relativeCost', y: 'accuracy', fill: '#c4c8cf', r: 2.5, title: 'label' }),
        ...(['confidence', 'pcee', 'pcee-ws'] as const).map((policy) =>
          Plot.line(report.tradeoff[policy], {
            x: 'relativeCost',
            y: 'accuracy',
            stroke: POLICY_COLORS[policy],
            strokeDasharray: POLICY_DASHES[policy],
            strokeWidth: 2,
          }),
        ),
        Plot.dot(report.highlights, {
          x: 'relativeCost',
          y: 'accuracy',
          fill: POLICY_COLORS.pcee,
          r: 3,
          title: (row) =>
            `pcee δ=${row.delta}: accuracy ${row.accuracy.toFixed(4)}, relative cost ${row.relativeCost.toFixed(3)}`,
        }),
        Plot.text(labelled, {
          x: 'relativeCost',
          y: 'accuracy',
          text: (row) => `δ ${formatDelta(row.delta)}`,
          dy: 12,
          dx: 2,
          textAnchor: 'start',
          fill: POLICY_COLORS.pcee,
          fontSize: 9,
        }),
        Plot.dot(points, {
          x: 'relativeCost',
          y: 'accuracy',
          fill: 'policy',
          r: 5,
          symbol: 'star',
          stroke: 'white',
        }),
        Plot.text(points, { x: 'relativeCost', y: 'accuracy', text: 'label', dy: -11, fill: '#333' }),
      ],
    },
    { chart: 'tradeoff' },
    chart,
  );
}
