import * as Plot from '@observablehq/plot';
import type { ExitReport } from '../data/report-data.js';
import { REFERENCE_INK } from './chart-theme.js';
import { type ChartOptions, renderPlot } from './plot-render.js';

const WIDTH = 260;

/**
 * The reliability diagram of one exit: accuracy per confidence bin as bars over the bin's
 * range, the bin's mean confidence as a dot on its bar (dot area ∝ samples), and the
 * diagonal a perfectly calibrated head would follow. Gaps between dot and diagonal are
 * what ECE averages and MCE maximises.
 */
export function reliabilityChart(exit: ExitReport, chart: ChartOptions = {}): string {
  const bins = exit.bins.filter((bin) => bin.count > 0);
  return renderPlot(
    {
      width: WIDTH,
      height: 220,
      marginLeft: 38,
      marginBottom: 34,
      x: { domain: [0, 1], label: 'confidence →', ticks: 5 },
      y: { domain: [0, 1], label: '↑ accuracy', ticks: 5, grid: true },
      r: { range: [1.5, 7] },
      marks: [
        Plot.rectY(bins, {
          x1: 'lower',
          x2: 'upper',
          y: 'accuracy',
          inset: 0.5,
          fill: '#4269d0',
          fillOpacity: 0.28,
          title: (bin) =>
            `[${bin.lower.toFixed(2)}, ${bin.upper.toFixed(2)}): ${bin.count} samples, accuracy ${bin.accuracy.toFixed(3)}, mean confidence ${bin.meanConfidence.toFixed(3)}`,
        }),
        Plot.line(
          [
            [0, 0],
            [1, 1],
          ],
          { stroke: REFERENCE_INK, strokeDasharray: '4,3' },
        ),
        Plot.link(bins, {
          x1: 'meanConfidence',
          x2: 'meanConfidence',
          y1: 'meanConfidence',
          y2: 'accuracy',
          stroke: '#d62728',
          strokeOpacity: 0.7,
        }),
        Plot.dot(bins, { x: 'meanConfidence', y: 'accuracy', r: 'count', fill: '#1f3b82', stroke: 'white' }),
        Plot.ruleY([0]),
      ],
    },
    { chart: 'reliability', exit: String(exit.exit) },
    chart,
  );
}

/** Validation samples per bin (log scale: the top bin usually holds most of them). */
export function binCountChart(exit: ExitReport, chart: ChartOptions = {}): string {
  const bins = exit.bins.filter((bin) => bin.count > 0);
  return renderPlot(
    {
      width: WIDTH,
      height: 78,
      marginLeft: 38,
      marginTop: 8,
      marginBottom: 22,
      x: { domain: [0, 1], ticks: 5, label: null },
      y: { type: 'log', label: 'samples', ticks: 2, tickFormat: '~s' },
      marks: [
        Plot.rectY(bins, {
          x1: 'lower',
          x2: 'upper',
          y1: 0.8,
          y2: 'count',
          inset: 0.5,
          fill: '#8b95a7',
          title: (bin) => `${bin.count} samples`,
        }),
      ],
    },
    { chart: 'bin-counts', exit: String(exit.exit) },
    chart,
  );
}
