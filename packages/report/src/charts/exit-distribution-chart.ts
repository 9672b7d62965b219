import * as Plot from '@observablehq/plot';
import type { ModelReport } from '../data/report-data.js';
import { type ChartOptions, renderPlot } from './plot-render.js';

/**
 * Where samples leave under pcee as δ rises: the share of test samples per exit, stacked.
 * Higher targets push samples to deeper (more expensive, more accurate) heads.
 */
export function exitDistributionChart(report: ModelReport, chart: ChartOptions = {}): string {
  const rows = report.control.pcee.flatMap((row) =>
    row.exitCounts.map((count, exit) => ({
      delta: row.delta,
      exit: `exit ${exit}`,
      share: count / report.testSamples,
    })),
  );
  return renderPlot(
    {
      width: 460,
      height: 320,
      marginLeft: 44,
      x: { domain: [0.5, 1], label: 'target accuracy δ →', tickFormat: '.2f' },
      y: { domain: [0, 1], label: '↑ share of test samples', tickFormat: '%' },
      color: {
        type: 'ordinal',
        domain: report.exitReports.map((exit) => `exit ${exit.exit}`),
        // Light to dark from shallow to deep, but exit 0 still visible on white.
        range: exitColors(report.exits),
        legend: true,
      },
      marks: [
        Plot.areaY(rows, { x: 'delta', y: 'share', fill: 'exit', order: null, curve: 'step' }),
        Plot.ruleY([0, 1], { stroke: '#888' }),
      ],
    },
    { chart: 'exit-distribution' },
    chart,
  );
}

/** A blue ramp from a visible light tint (shallow exits) to deep navy (the final exit). */
function exitColors(exits: number): string[] {
  const blues = Plot.scale({ color: { type: 'linear', scheme: 'blues', domain: [0, 1] } });
  return Array.from({ length: exits }, (_, exit) =>
    String(blues.apply(0.25 + (0.7 * exit) / Math.max(1, exits - 1))),
  );
}
