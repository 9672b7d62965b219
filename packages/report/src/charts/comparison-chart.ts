import * as Plot from '@observablehq/plot';
import type { ModelComparison } from '../data/model-comparison.js';
import { formatDelta } from '../data/report-format.js';
import { MODEL_COLORS, REFERENCE_INK } from './chart-theme.js';
import { type ChartOptions, renderPlot } from './plot-render.js';

/**
 * Both models' pcee accuracy–cost curves on one absolute cost axis, each model's full
 * cost as a star, the smaller model's full cost as the budget line, and the larger model's
 * operating point at that budget (δ chosen on validation traces, drawn on test) circled.
 */
export function comparisonChart(comparison: ModelComparison, chart: ChartOptions = {}): string {
  const { smaller, larger, budget, largerAtBudget } = comparison;
  const chosen = largerAtBudget ? [largerAtBudget.test] : [];
  const models = [smaller, larger];
  const unitScale = smaller.costs.unit === 'flops' ? 1e6 : 1;
  const unitLabel =
    smaller.costs.unit === 'flops' ? 'mean cost (MFLOPs) →' : `mean cost (${smaller.costs.unit}) →`;
  const curves = models.flatMap((model) =>
    model.tradeoff.pcee.map((row) => ({
      model: model.modelId,
      cost: row.meanCost / unitScale,
      accuracy: row.accuracy,
    })),
  );
  const fullPoints = models.map((model) => ({
    model: model.modelId,
    cost: model.fullModel.cost / unitScale,
    accuracy: model.fullModel.accuracy,
  }));
  const highestCost = Math.max(...fullPoints.map((point) => point.cost));
  const lowest = Math.min(...curves.map((row) => row.accuracy));
  const highest = Math.max(
    ...curves.map((row) => row.accuracy),
    ...fullPoints.map((point) => point.accuracy),
  );
  return renderPlot(
    {
      width: 620,
      height: 340,
      marginLeft: 44,
      marginRight: 30,
      x: { label: unitLabel, zero: true, nice: true },
      y: {
        domain: [Math.floor(lowest * 50) / 50, Math.ceil(highest * 100) / 100 + 0.005],
        label: '↑ test accuracy',
        grid: true,
        tickFormat: '.2f',
      },
      color: { domain: models.map((model) => model.modelId), range: [...MODEL_COLORS], legend: true },
      marks: [
        Plot.ruleX([budget / unitScale], { stroke: REFERENCE_INK, strokeDasharray: '4,3' }),
        Plot.text([budget / unitScale], {
          x: (value: number) => value,
          frameAnchor: 'bottom',
          text: () => `budget: full cost of ${smaller.modelId}`,
          textAnchor: 'start',
          dx: 4,
          dy: -6,
          fill: '#555',
        }),
        Plot.line(curves, {
          x: 'cost',
          y: 'accuracy',
          stroke: 'model',
          strokeWidth: 1.8,
          curve: 'step-after',
        }),
        Plot.dot(fullPoints, {
          x: 'cost',
          y: 'accuracy',
          fill: 'model',
          symbol: 'star',
          r: 6,
          stroke: 'white',
        }),
        // Labels run away from the plot's edges: rightward from the cheaper model's point,
        // leftward from the costlier one's.
        ...fullPoints.map((point) =>
          Plot.text([point], {
            x: 'cost',
            y: 'accuracy',
            text: () => `${point.model} (no early exit)`,
            dy: -12,
            dx: point.cost === highestCost ? 0 : 8,
            textAnchor: point.cost === highestCost ? 'end' : 'start',
            fill: '#333',
          }),
        ),
        ...(chosen.length > 0
          ? [
              Plot.dot(chosen, {
                x: (row) => row.meanCost / unitScale,
                y: 'accuracy',
                r: 7,
                stroke: MODEL_COLORS[1],
                strokeWidth: 2,
              }),
              Plot.text(chosen, {
                x: (row) => row.meanCost / unitScale,
                y: 'accuracy',
                text: (row) =>
                  `${larger.modelId}, pcee δ ${formatDelta(row.delta)} (chosen on validation): ${(row.accuracy * 100).toFixed(1)}%`,
                dx: 10,
                dy: 14,
                textAnchor: 'start',
                fill: MODEL_COLORS[1],
                fontWeight: 600,
              }),
            ]
          : []),
      ],
    },
    { chart: 'comparison' },
    chart,
  );
}
