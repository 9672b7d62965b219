import * as Plot from '@observablehq/plot';
import { InvalidArgumentError } from '@pcee/core';
import { escapeHtml } from '../page/escape-html.js';

/** Attributes stamped on a chart's root element, e.g. `{ chart: 'reliability', exit: '3' }` → `data-chart`, `data-exit`. */
export type ChartData = Readonly<Record<string, string>>;

/**
 * Where charts are drawn. Observable Plot builds charts with DOM calls: a browser passes
 * nothing (the page's `document` is used); Node passes a server-side document, e.g.
 * `serverDocument()` of `@pcee/report/node`.
 */
export interface ChartOptions {
  /** The document Plot creates its (detached) elements in; `globalThis.document` when omitted. */
  readonly document?: Document;
}

/**
 * Renders a Plot specification to markup (an `<svg>`, or a `<figure>` when Plot adds a
 * legend) inside a `<div class="chart">` whose `data-*` attributes, in the given order, name
 * the chart for tests and styling. Charts are strings, so a page built in Node needs no
 * script and a browser can insert them as they are.
 *
 * @throws InvalidArgumentError when there is no document to draw in (Node without one).
 */
export function renderPlot(options: Plot.PlotOptions, data: ChartData, chart: ChartOptions = {}): string {
  const element = Plot.plot({
    ...options,
    style: { fontFamily: 'inherit', fontSize: '11px', overflow: 'visible', ...styleObject(options.style) },
    document: chartDocument(chart),
  });
  const attributes = Object.entries(data)
    .map(([name, value]) => ` data-${name}="${escapeHtml(value)}"`)
    .join('');
  return `<div class="chart"${attributes}>${element.outerHTML}</div>`;
}

function chartDocument(chart: ChartOptions): Document {
  const document = chart.document ?? (globalThis as { document?: Document }).document;
  if (document === undefined) {
    throw new InvalidArgumentError(
      'no document to draw the chart in: outside a browser pass { document }, e.g. serverDocument() from "@pcee/report/node"',
    );
  }
  return document;
}

function styleObject(style: Plot.PlotOptions['style']): Record<string, string> {
  return typeof style === 'object' && style !== null ? (style as Record<string, string>) : {};
}
