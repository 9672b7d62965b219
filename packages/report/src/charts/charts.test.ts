import { calibrate, type ExitCosts, InvalidArgumentError } from '@pcee/core';
import { syntheticTraces } from '@pcee/core/testing';
import { describe, expect, it } from 'vitest';
import { compareModels } from '../data/model-comparison.js';
import { modelReportFrom } from '../data/model-report-from.js';
import { serverDocument } from '../node/server-document.js';
import { comparisonChart } from './comparison-chart.js';
import { controllabilityChart } from './controllability-chart.js';
import { exitDistributionChart } from './exit-distribution-chart.js';
import { binCountChart, reliabilityChart } from './reliability-chart.js';
import { tradeoffChart } from './tradeoff-chart.js';

const costs: ExitCosts = { unit: 'flops', exits: [1e6, 2e6, 3e6, 4e6], fullModel: 3.9e6 };
const largeCosts: ExitCosts = { unit: 'flops', exits: [1.5e6, 3e6, 5e6, 8e6], fullModel: 7.8e6 };
const validation = syntheticTraces(1000, 4, 5, 3);
const model = modelReportFrom(
  calibrate(validation, { costs, model: { id: 'small', fingerprint: null } }),
  syntheticTraces(1000, 4, 5, 4),
  'test.npz',
);
const largeValidation = syntheticTraces(1000, 4, 5, 5);
const large = modelReportFrom(
  calibrate(largeValidation, { costs: largeCosts, model: { id: 'large', fingerprint: null } }),
  syntheticTraces(1000, 4, 5, 6),
  'test.npz',
  { validation: { traces: largeValidation, name: 'val.npz' } },
);
const chart = { document: serverDocument() };

describe('charts', () => {
  it.each([
    ['reliability', () => reliabilityChart(model.report.exitReports[0]!, chart), 'rect'],
    ['bin-counts', () => binCountChart(model.report.exitReports[0]!, chart), 'rect'],
    ['controllability', () => controllabilityChart(model.report, chart), 'path'],
    ['tradeoff', () => tradeoffChart(model.report, chart), 'path'],
    ['exit-distribution', () => exitDistributionChart(model.report, chart), 'path'],
    ['comparison', () => comparisonChart(compareModels(model, large), chart), 'path'],
  ])('%s draws an <svg> with its marks, named by data-chart', (name, draw, mark) => {
    const markup = draw();
    expect(markup).toMatch(new RegExp(`^<div class="chart" data-chart="${name}"`));
    expect(markup).toContain('<svg');
    expect(markup).toContain(`<${mark}`);
  });

  it('without a document (Node, nothing passed) is an InvalidArgumentError that says what to pass', () => {
    expect(() => tradeoffChart(model.report)).toThrow(InvalidArgumentError);
    expect(() => tradeoffChart(model.report)).toThrow(/serverDocument\(\) from "@pcee\/report\/node"/);
  });
});
