import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scoreExits, tuneForBudget } from '@pcee/core';
import { modelDir } from '@pcee/models';
import { formatDelta } from '@pcee/report';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderInChromium } from '../../test-support/chromium.js';
import { runCli, syntheticTraces, temporaryFolder, writeTracesFile } from '../../test-support/run-cli.js';
import { bundledManifest } from '../../test-support/split-models.js';
import { loadProfile, loadTraces } from '../inputs.js';

const folder = temporaryFolder();
const small = modelDir('fmnist-cnn-small');
const large = modelDir('fmnist-cnn-large');
const smallExits = bundledManifest('fmnist-cnn-small').stages.length;
const largeExits = bundledManifest('fmnist-cnn-large').stages.length;
const smallProfile = join(folder, 'small.json');
const largeProfile = join(folder, 'large.json');
const report = join(folder, 'report.html');
const comparisonReport = join(folder, 'comparison.html');
let comparisonStdout = '';

/** Occurrences of `needle` in `text`. */
const count = (text: string, needle: string) => text.split(needle).length - 1;

beforeAll(async () => {
  for (const [dir, profile] of [
    [small, smallProfile],
    [large, largeProfile],
  ] as const) {
    const calibrated = await runCli('calibrate', join(dir, 'val.npz'), '--model', dir, '--out', profile);
    expect(calibrated.stderr).toBe(
      `calibrated 10000 samples × ${dir === small ? smallExits : largeExits} exits → ${profile}\n`,
    );
  }
  const written = await runCli(
    'report',
    smallProfile,
    join(small, 'test.npz'),
    '--model',
    small,
    '--out',
    report,
  );
  expect(written).toMatchObject({ code: 0, stdout: '' });
  const compared = await runCli(
    'report',
    largeProfile,
    join(large, 'test.npz'),
    '--model',
    large,
    '--compare',
    smallProfile,
    join(small, 'test.npz'),
    '--compare-model',
    small,
    '--validation',
    join(large, 'val.npz'),
    '--out',
    comparisonReport,
  );
  expect(compared.code).toBe(0);
  comparisonStdout = compared.stdout;
});

describe('pcee report: structure', () => {
  it('holds one reliability diagram and one bin-count chart per exit, with ECE and MCE', () => {
    const html = readFileSync(report, 'utf8');
    for (let exit = 0; exit < smallExits; exit++) {
      expect(count(html, `data-chart="reliability" data-exit="${exit}"`)).toBe(1);
      expect(count(html, `data-chart="bin-counts" data-exit="${exit}"`)).toBe(1);
    }
    expect(count(html, 'data-chart="reliability"')).toBe(smallExits);
    expect(html).toMatch(/accuracy \d+\.\d% · ECE \d+\.\d\d% · MCE \d+\.\d\d%/);
  });

  it.each([['controllability'], ['tradeoff'], ['exit-distribution']])('holds the %s chart', (chart) => {
    expect(count(readFileSync(report, 'utf8'), `data-chart="${chart}"`)).toBe(1);
  });

  it('names the model, samples and classes in the header, and has no comparison', () => {
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<title>PCEE report · fmnist-cnn-small</title>');
    expect(html).toMatch(/test samples<\/span><b>10,000<\/b>/);
    expect(html).toMatch(/classes<\/span><b>10<\/b>/);
    expect(html).toContain('Ankle boot');
    expect(html).not.toContain('data-chart="comparison"');
  });

  it('is self-contained: no scripts, no external src or href, styles inline', () => {
    const html = readFileSync(report, 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<link/i);
    expect(html).toContain('<style>');
  });

  it('renders in headless Chromium with no console errors, no requests, and every chart laid out', async () => {
    const page = await renderInChromium(report);
    expect(page.errors).toEqual([]);
    expect(page.externalRequests).toEqual([]);
    expect(page.charts.map((chart) => chart.chart).sort()).toEqual(
      [
        ...Array(smallExits).fill('bin-counts'),
        'controllability',
        'exit-distribution',
        ...Array(smallExits).fill('reliability'),
        'tradeoff',
      ].sort(),
    );
    for (const chart of page.charts) {
      expect(chart.width).toBeGreaterThan(100);
      expect(chart.height).toBeGreaterThan(50);
    }
  });
});

describe('pcee report --compare', () => {
  it('adds the comparison chart and states the answer with its numbers', () => {
    const html = readFileSync(comparisonReport, 'utf8');
    expect(count(html, 'data-chart="comparison"')).toBe(1);
    expect(count(html, 'data-chart="reliability"')).toBe(largeExits);
    expect(comparisonStdout).toMatch(
      /^At the full cost of fmnist-cnn-small \(\d+\.\d\d MFLOPs\), fmnist-cnn-large with PCEE early exit \(δ = [\d.]+, chosen on validation data\) reaches \d+\.\d% test accuracy/,
    );
    expect(html).toContain(`data-answer="comparison">${comparisonStdout.trim().replaceAll("'", '&#39;')}`);
    expect(html).toContain('<td>validation (chosen on)</td>');
    expect(html).toMatch(/chosen on its [\d,]+ validation samples/);
  });

  it('chooses δ of the larger model as pcee tune --budget does on its validation traces', async () => {
    const [largeCalibration, smallCalibration] = await Promise.all([
      loadProfile(largeProfile),
      loadProfile(smallProfile),
    ]);
    const validation = scoreExits(await loadTraces(join(large, 'val.npz')));
    const { chosen } = tuneForBudget(validation, largeCalibration, {
      maxMeanCost: smallCalibration.costs.fullModel,
    });
    expect(comparisonStdout).toContain(`(δ = ${formatDelta(chosen.delta)}, chosen on validation data)`);
  });

  it('renders in headless Chromium with no console errors', async () => {
    const page = await renderInChromium(comparisonReport);
    expect(page.errors).toEqual([]);
    expect(page.charts.filter((chart) => chart.chart === 'comparison')).toHaveLength(1);
  });
});

describe('pcee report: mistakes are one line, exit 1, nothing written', () => {
  const synthetic = writeTracesFile(folder, 'synthetic.npz', syntheticTraces(300, smallExits, 10, 5));
  const otherShape = writeTracesFile(folder, 'other-exits.npz', syntheticTraces(300, smallExits + 2, 10, 6));
  const syntheticProfile = join(folder, 'synthetic.json');
  const readOnly = join(folder, 'read-only');
  mkdirSync(readOnly);

  beforeAll(async () => {
    expect((await runCli('calibrate', synthetic, '--out', syntheticProfile)).code).toBe(0);
  });

  it.each([
    [
      'a missing profile',
      () => ['report', join(folder, 'nope.json'), synthetic],
      /profile not found: .*nope\.json/,
    ],
    [
      'missing traces',
      () => ['report', smallProfile, join(folder, 'nope.npz')],
      /traces file not found: .*nope\.npz/,
    ],
    [
      'traces of another shape',
      () => ['report', smallProfile, otherShape],
      new RegExp(
        `profile \\(calibrated for "fmnist-cnn-small"\\) has ${smallExits} exits but traces "other-exits\\.npz" has ${smallExits + 2}`,
      ),
    ],
    [
      'a profile of another model',
      () => ['report', syntheticProfile, join(small, 'test.npz'), '--model', large],
      new RegExp(`${smallExits} exits but model "fmnist-cnn-large" has ${largeExits}`),
    ],
    [
      '--compare with one file',
      () => ['report', smallProfile, join(small, 'test.npz'), '--compare', smallProfile],
      /--compare takes two files/,
    ],
    [
      '--compare with costs in another unit',
      () => ['report', smallProfile, join(small, 'test.npz'), '--compare', syntheticProfile, synthetic],
      /cannot compare costs in flops .* with costs in depth/,
    ],
    [
      '--compare without validation traces of the larger model',
      () => [
        'report',
        smallProfile,
        join(small, 'test.npz'),
        '--compare',
        largeProfile,
        join(large, 'test.npz'),
      ],
      /chooses δ of "fmnist-cnn-large" \(the larger model\) on validation data, never on its test traces: add --compare-validation <val-traces>/,
    ],
    [
      'validation traces that are the test traces',
      () => [
        'report',
        largeProfile,
        join(large, 'test.npz'),
        '--validation',
        join(large, 'test.npz'),
        '--compare',
        smallProfile,
        join(small, 'test.npz'),
      ],
      /validation traces test\.npz hold the same samples as test traces test\.npz: δ must be chosen on other data/,
    ],
    [
      'validation traces of another model',
      () => [
        'report',
        largeProfile,
        join(large, 'test.npz'),
        '--validation',
        join(small, 'val.npz'),
        '--compare',
        smallProfile,
        join(small, 'test.npz'),
      ],
      new RegExp(
        `validation traces val\\.npz have ${smallExits} exits and 10 classes but the profile of "fmnist-cnn-large" has ${largeExits} exits`,
      ),
    ],
    [
      '--validation without --compare',
      () => ['report', smallProfile, join(small, 'test.npz'), '--validation', join(small, 'val.npz')],
      /--validation needs --compare <profile\.json> <test-traces>/,
    ],
    [
      'an --out in a missing folder',
      () => ['report', smallProfile, join(small, 'test.npz')],
      /cannot write .*missing-folder.*not found/,
      join(folder, 'missing-folder', 'report.html'),
    ],
    [
      'an --out that is a folder',
      () => ['report', smallProfile, join(small, 'test.npz')],
      /it is a folder/,
      readOnly,
    ],
  ])('%s', async (_name, argv, message, out = join(folder, 'never.html')) => {
    const before = readdirSync(folder).sort();
    const result = await runCli(...argv(), '--out', out);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: /);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    expect(existsSync(join(folder, 'never.html'))).toBe(false);
    expect(readdirSync(folder).sort()).toEqual(before);
  });
});
