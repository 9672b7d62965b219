import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { escapeHtml } from './escape-html.js';

/**
 * Observable Plot builds charts with DOM calls; linkedom gives it a light DOM in Node, so
 * every chart is rendered to SVG markup when the report is built and the page needs no
 * script. One document serves all charts: Plot only creates detached elements in it.
 */
const { document } = parseHTML('<!doctype html><html><head></head><body></body></html>');

/** Attributes stamped on a chart's root element, e.g. `{ chart: 'reliability', exit: '3' }` → `data-chart`, `data-exit`. */
export type ChartData = Readonly<Record<string, string>>;

/**
 * Renders a Plot specification to markup (an `<svg>`, or a `<figure>` when Plot adds a
 * legend) inside a `<div class="chart">` whose `data-*` attributes, in the given order, name
 * the chart for tests and styling.
 */
export function renderPlot(options: Plot.PlotOptions, data: ChartData): string {
  const element = Plot.plot({
    ...options,
    style: { fontFamily: 'inherit', fontSize: '11px', overflow: 'visible', ...styleObject(options.style) },
    document: document as unknown as Plot.PlotOptions['document'],
  });
  const attributes = Object.entries(data)
    .map(([name, value]) => ` data-${name}="${escapeHtml(value)}"`)
    .join('');
  return `<div class="chart"${attributes}>${element.outerHTML}</div>`;
}

function styleObject(style: Plot.PlotOptions['style']): Record<string, string> {
  return typeof style === 'object' && style !== null ? (style as Record<string, string>) : {};
}
