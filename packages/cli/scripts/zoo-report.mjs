// The model zoo's report: per model, per family (small vs large + PCEE at the small model's
// full cost), and controllability (PCEE vs the confidence baseline), from the bundled traces.
// δ and the controllability grid's upper end are chosen on validation traces (val.npz); every
// result is measured on test traces (test.npz), which choose nothing.
// Usage (after `npm run build`):
//   node packages/cli/scripts/zoo-report.mjs [--json out.json] [--markdown out.md] [--html <dir>]
//   --html <dir> also writes `pcee report --compare` for each family (<dir>/<family>.html).
// Reads the models of @pcee/models (PCEE_MODELS_DIR when set). Deterministic output.
// The numbers are @pcee/report's (the data behind `pcee report`): this script only picks the
// models, lays the numbers out as JSON and markdown, and checks the CLI against them.
import { hash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  calibrate,
  manifestCosts,
  modelFingerprint,
  parseManifest,
  readTraces,
  scoreExits,
  summarizeDiagram,
} from '@pcee/core';
import { listModels, modelDir } from '@pcee/models';
import {
  CONTROL_SUMMARY_GRID,
  controllabilitySummary,
  modelReportFrom,
  operatingPointAtBudget,
  REPORT_POLICIES,
} from '@pcee/report/data';

/** `pcee calibrate`'s defaults: what the profile is calibrated with. */
const CALIBRATION = { bins: 15, binning: 'width', confidence: 'max-softmax' };
/** ECE as packages/models/training/metrics.py computes it: 15 equal-width bins of max-softmax. */
const ECE_BINNING = { bins: 15, binning: 'width', confidence: 'max-softmax' };
/** Controllability grid (`controllabilitySummary`): up to the final exit's validation accuracy. */
const { from: GRID_START, step: GRID_STEP } = CONTROL_SUMMARY_GRID;
/** The policies whose controllability is compared: PCEE, its smoothed variant, the baseline. */
const CONTROL_POLICIES = REPORT_POLICIES;
const SIZES = ['small', 'large'];

const flags = parseFlags(process.argv.slice(2));
const models = listModels().map(({ id }) => loadModel(id));
const families = familiesOf(models);
const result = {
  format: 'pcee-zoo-report',
  version: 1,
  protocol: {
    calibration: { traces: 'val.npz', ...CALIBRATION },
    deltaChosenOn: 'val.npz',
    measuredOn: 'test.npz',
    controlGrid: { from: GRID_START, step: GRID_STEP, to: 'final-exit validation accuracy' },
    ece: { traces: 'test.npz', ...ECE_BINNING },
    costUnit: 'MFLOPs',
  },
  models: models.map(describeModel),
  headline: families.map(headline),
};

if (flags.html) {
  for (const family of result.headline) family.report = await writeComparisonReport(family, flags.html);
}
const markdown = renderMarkdown(result);
process.stdout.write(markdown);
if (flags.markdown) writeFileSync(flags.markdown, markdown);
if (flags.json) writeFileSync(flags.json, `${JSON.stringify(result, null, 2)}\n`);

// ---------------------------------------------------------------------------------------

function parseFlags(argv) {
  const known = { '--json': 'json', '--markdown': 'markdown', '--html': 'html' };
  const parsed = {};
  for (let index = 0; index < argv.length; index += 2) {
    const key = known[argv[index]];
    const value = argv[index + 1];
    if (!key || value === undefined || value.startsWith('--')) {
      fail(
        `unexpected argument "${argv[index]}"${key ? ' without a value' : ''}; usage: node packages/cli/scripts/zoo-report.mjs [--json out.json] [--markdown out.md] [--html <dir>]`,
      );
    }
    parsed[key] = resolve(value);
  }
  return parsed;
}

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

/**
 * One model calibrated on val.npz exactly as `pcee calibrate val.npz --model <dir>` does, with
 * its report data on test.npz (as `pcee report --model <dir> --validation val.npz` builds it).
 */
function loadModel(id) {
  const dir = modelDir(id);
  const manifest = parseManifest(readFileSync(join(dir, 'model.json'), 'utf8'), `${id}/model.json`);
  const validation = readTraces(readFileSync(join(dir, 'val.npz')), `${id}/val.npz`);
  const test = readTraces(readFileSync(join(dir, 'test.npz')), `${id}/test.npz`);
  const costs = manifestCosts(manifest);
  const profile = calibrate(validation, {
    ...CALIBRATION,
    costs,
    model: { id: manifest.id, fingerprint: modelFingerprint(manifest) },
    scores: scoreExits(validation, CALIBRATION.confidence),
  });
  const compared = modelReportFrom(profile, test, 'test.npz', {
    manifest,
    validation: { traces: validation, name: 'val.npz' },
    sha256: (bytes) => hash('sha256', bytes, 'buffer'),
  });
  const match = /^(.*)-(small|large)$/.exec(id);
  return {
    id,
    dir,
    family: match ? match[1] : id,
    size: match ? match[2] : null,
    compared,
    testProfile: calibrate(test, { ...ECE_BINNING, costs }),
  };
}

/** Families with both a small and a large model, in listModels order. */
function familiesOf(all) {
  const names = [...new Set(all.map((model) => model.family))];
  return names
    .map((family) => SIZES.map((size) => all.find((model) => model.family === family && model.size === size)))
    .filter(([small, large]) => small && large);
}

/** FLOPs → MFLOPs. */
function mflops(flops) {
  return flops / 1e6;
}

function describeModel(model) {
  const { report, profile, testScores } = model.compared;
  const exits = report.exitReports.map((exit) => ({
    exit: exit.exit,
    mflops: mflops(exit.cost),
    validationAccuracy: exit.accuracy,
    testAccuracy: exit.testAccuracy,
    testEce: summarizeDiagram(model.testProfile.diagrams[exit.exit]).ece,
  }));
  return {
    id: model.id,
    family: model.family,
    size: model.size,
    exits: exits.length,
    samples: { validation: report.validationSamples, test: report.testSamples },
    fullModel: { mflops: mflops(report.fullModel.cost), testAccuracy: report.fullModel.accuracy },
    perExit: exits,
    oracle: { testAccuracy: report.oracle.accuracy, meanMflops: mflops(report.oracle.meanCost) },
    // δ beyond the final exit's validation accuracy is a promise no head can keep.
    controllability: controllabilitySummary(testScores, profile, exits.at(-1).validationAccuracy),
  };
}

/**
 * The paper's headline for one family, chosen as `pcee report --compare` chooses it
 * (`operatingPointAtBudget`): the large model's most accurate δ whose mean VALIDATION cost
 * fits the small model's full cost, then that δ on the TEST traces.
 */
function headline([small, large]) {
  const smallReport = small.compared.report;
  const largeReport = large.compared.report;
  const budget = smallReport.fullModel.cost;
  const point = operatingPointAtBudget(large.compared, budget);
  const pcee = point && {
    delta: point.delta,
    validation: { accuracy: point.validation.accuracy, meanMflops: mflops(point.validation.meanCost) },
    test: { accuracy: point.test.accuracy, meanMflops: mflops(point.test.meanCost) },
    gainPoints: 100 * (point.test.accuracy - smallReport.fullModel.accuracy),
    overBudgetOnTest: point.overBudgetOnTest,
    exitCounts: point.test.exitCounts,
  };
  return {
    family: small.family,
    small: small.id,
    large: large.id,
    budgetMflops: mflops(budget),
    smallFull: { testAccuracy: smallReport.fullModel.accuracy, mflops: mflops(smallReport.fullModel.cost) },
    largeFull: { testAccuracy: largeReport.fullModel.accuracy, mflops: mflops(largeReport.fullModel.cost) },
    largePcee: pcee,
    largeOracle: {
      testAccuracy: largeReport.oracle.accuracy,
      meanMflops: mflops(largeReport.oracle.meanCost),
    },
  };
}

/**
 * `pcee calibrate` both models and `pcee report --compare` them through the CLI itself
 * (dist/), and checks that the CLI chose the same δ as this script.
 */
async function writeComparisonReport(family, folder) {
  const { main } = await import('../dist/index.js');
  mkdirSync(folder, { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), 'pcee-zoo-'));
  try {
    const run = async (...argv) => {
      let stdout = '';
      let stderr = '';
      const code = await main(argv, {
        stdout: (text) => void (stdout += text),
        stderr: (text) => void (stderr += text),
        stderrIsTTY: false,
      });
      if (code !== 0) fail(`pcee ${argv.join(' ')} failed: ${stderr.trim()}`);
      return stdout;
    };
    const profiles = {};
    for (const id of [family.small, family.large]) {
      profiles[id] = join(scratch, `${id}.json`);
      await run('calibrate', join(modelDir(id), 'val.npz'), '--model', modelDir(id), '--out', profiles[id]);
    }
    const out = join(folder, `${family.family}.html`);
    const answer = (
      await run(
        'report',
        profiles[family.large],
        join(modelDir(family.large), 'test.npz'),
        '--model',
        modelDir(family.large),
        '--validation',
        join(modelDir(family.large), 'val.npz'),
        '--compare',
        profiles[family.small],
        join(modelDir(family.small), 'test.npz'),
        '--compare-model',
        modelDir(family.small),
        '--out',
        out,
      )
    ).trim();
    if (family.largePcee) {
      const delta = `δ = ${String(Number(family.largePcee.delta.toFixed(3)))},`;
      if (!answer.includes(delta)) fail(`pcee report chose another δ than this script (${delta}): ${answer}`);
    }
    return { html: out, answer };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------

function renderMarkdown(report) {
  const pct = (value, digits = 2) => `${(100 * value).toFixed(digits)}%`;
  const mf = (value) => value.toFixed(2);
  const pt = (value) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`;
  const lines = [
    '# PCEE model zoo report',
    '',
    `Each model is calibrated on its validation traces (val.npz; ${CALIBRATION.bins} equal-width bins of max-softmax, as \`pcee calibrate\` does by default).`,
    'δ and the controllability grid’s upper end are **chosen on validation** traces; every result is **measured on test** traces (test.npz), which choose nothing.',
    'Costs in MFLOPs (cumulative: backbone plus every head on the way); ECE: 15 equal-width bins of max-softmax confidence, on test.',
    '',
    '## Headline: large + PCEE at the small model’s full cost',
    '',
    'δ: the most accurate whose mean **validation** cost fits the budget (`tuneForBudget`, as `pcee tune --budget` and `pcee report --compare` choose it).',
    '',
    '| family | budget (small full) | small full, test acc | δ (val) | large + PCEE, val acc @ MFLOPs | large + PCEE, test acc @ MFLOPs | gain (pt) | large full, test acc @ MFLOPs | large oracle, test acc @ MFLOPs |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...report.headline.map((row) => {
      const p = row.largePcee;
      const cells = p
        ? [
            p.delta.toFixed(4),
            `${pct(p.validation.accuracy)} @ ${mf(p.validation.meanMflops)}`,
            `${pct(p.test.accuracy)} @ ${mf(p.test.meanMflops)}${p.overBudgetOnTest ? ' (over budget on test)' : ''}`,
            pt(p.gainPoints),
          ]
        : ['—', 'no δ fits on validation', '—', '—'];
      return `| ${row.family} | ${mf(row.budgetMflops)} | ${pct(row.smallFull.testAccuracy)} | ${cells.join(' | ')} | ${pct(row.largeFull.testAccuracy)} @ ${mf(row.largeFull.mflops)} | ${pct(row.largeOracle.testAccuracy)} @ ${mf(row.largeOracle.meanMflops)} |`;
    }),
    '',
  ];
  for (const row of report.headline) {
    if (row.report)
      lines.push(`- ${row.family}: \`pcee report --compare\` → ${row.report.html}: ${row.report.answer}`);
  }
  if (report.headline.some((row) => row.report)) lines.push('');
  lines.push(
    '## Controllability: PCEE vs the confidence baseline',
    '',
    `δ from ${GRID_START.toFixed(2)} in steps of ${GRID_STEP} up to the model’s final-exit validation accuracy. miss: share of δ whose test accuracy < δ; worst: max(δ − test accuracy) in points (negative: every δ held by at least that much).`,
    '',
    `| model | δ grid | ${CONTROL_POLICIES.map((policy) => `${policy} miss | ${policy} worst (pt)`).join(' | ')} |`,
    `|---|---|${CONTROL_POLICIES.map(() => '---:|---:').join('|')}|`,
    ...report.models.map((model) => {
      const { grid, policies } = model.controllability;
      const range =
        grid.points === 0 ? 'empty' : `${grid.from.toFixed(2)}–${grid.to.toFixed(2)} (${grid.points})`;
      const cells = CONTROL_POLICIES.map((policy) => {
        const { missShare, misses, worstMissPoints } = policies[policy];
        return `${pct(missShare, 0)} (${misses}) | ${worstMissPoints === null ? '—' : pt(worstMissPoints)}`;
      });
      return `| ${model.id} | ${range} | ${cells.join(' | ')} |`;
    }),
    '',
    '## Per model',
    '',
  );
  for (const model of report.models) {
    lines.push(
      `### ${model.id}`,
      '',
      `${model.exits} exits · full model ${mf(model.fullModel.mflops)} MFLOPs · final-exit test accuracy ${pct(model.fullModel.testAccuracy)} · ${model.samples.validation} validation / ${model.samples.test} test samples`,
      '',
      '| exit | MFLOPs | val acc | test acc | test ECE |',
      '|---:|---:|---:|---:|---:|',
      ...model.perExit.map(
        (exit) =>
          `| ${exit.exit} | ${mf(exit.mflops)} | ${pct(exit.validationAccuracy)} | ${pct(exit.testAccuracy)} | ${pct(exit.testEce)} |`,
      ),
      '',
    );
  }
  if (!report.headline.some((row) => row.report)) {
    lines.push(
      '## Reproduce the comparison page',
      '',
      'Run with `--html <dir>`, or per family (after `pcee calibrate <id>/val.npz --model <id> --out <id>.json` for both models):',
      '',
      '```sh',
      ...report.headline.map(
        (row) =>
          `pcee report ${row.large}.json ${row.large}/test.npz --model ${row.large} --validation ${row.large}/val.npz --compare ${row.small}.json ${row.small}/test.npz --compare-model ${row.small} --out ${row.family}.html`,
      ),
      '```',
      '',
    );
  }
  return `${lines.join('\n')}`;
}
