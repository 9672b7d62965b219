import type { ChartOptions } from '../charts/plot-render.js';
import { type ComparedModel, compareModels, type ModelComparison } from '../data/model-comparison.js';
import type { ModelReport } from '../data/report-data.js';
import { renderReportPage } from './report-page.js';

/** What `buildReport` turns into a page: one model, optionally compared with a second. */
export interface ReportRequest {
  /** The model the page is about (e.g. from `modelReportFrom`). */
  readonly model: ComparedModel;
  /** A second model compared on one cost axis; the larger of the two needs validation scores. */
  readonly compareWith?: ComparedModel;
  /** Version of the tool that writes the page, shown in its footer. */
  readonly toolVersion: string;
}

/** The page and the data it shows. */
export interface BuiltReport {
  /** The self-contained HTML document. */
  readonly html: string;
  readonly report: ModelReport;
  /** The comparison, when a second model was given. */
  readonly comparison?: ModelComparison;
}

/**
 * The whole report in one call: compares the models when two are given, and renders the
 * page. In Node pass `{ document: serverDocument() }` from `@pcee/report/node`.
 *
 * @throws InvalidArgumentError when the two models' costs are in different units, or the
 *   larger one has no validation scores.
 */
export function buildReport(request: ReportRequest, chart: ChartOptions = {}): BuiltReport {
  const { model, compareWith, toolVersion } = request;
  const comparison = compareWith ? compareModels(model, compareWith) : undefined;
  const { report } = model;
  const html = renderReportPage({ report, comparison, toolVersion }, chart);
  return comparison ? { html, report, comparison } : { html, report };
}
