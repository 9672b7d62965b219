// Measures: early exit (unfused, fused, fused further) vs full.onnx in headless Chromium on wasm, batch 1 and 16.
// Browser benchmark (a script, not a test): early exit vs the full model (full.onnx) in
// headless Chromium on wasm, batch 1 and 16, at the cheapest δ whose accuracy on the
// validation traces (val.npz, the calibration data; never the test set) is within 0.5 pt of
// the full model's there. Early exit runs unfused, fused (the exits δ never takes dropped) and
// fused further (also the live exits that save less than their overhead measured in the page,
// weighed on the validation traces). Prints a table and JSON.
//
//   node bench/browser.bench.mjs [--model fmnist-cnn-large] [--policy pcee] [--samples 2000] [--rounds 3]
//        [--max-drop 0.005] [--delta δ (fixed instead of chosen)] [--batch 1,16]
//
// Models and test images come from @pcee/models (PCEE_MODELS_DIR for another export); the
// page reads every model input by name and the stage bindings from model.json (version 2).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  calibrate,
  cheapestDeltaForAccuracy,
  evaluateFullModel,
  manifestCosts,
  parseManifest,
  readTraces,
  scoreExits,
  sweepDeltas,
} from '@pcee/core';
import { percent, printJson, printTable, times } from '../../../scripts/bench/bench-kit.mjs';
import {
  bundlePages,
  launchChromium,
  modelsFolder,
  openPage,
  servePages,
} from '../browser-test/browser-harness.mjs';

const { values: options } = parseArgs({
  options: {
    model: { type: 'string', default: 'fmnist-cnn-large' },
    policy: { type: 'string', default: 'pcee' },
    samples: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    'max-drop': { type: 'string', default: '0.005' },
    delta: { type: 'string' },
    batch: { type: 'string', default: '1,16' },
  },
});
const samples = Number(options.samples);
const maxDrop = Number(options['max-drop']);

// 1. Choose δ in Node from the shipped validation traces: the cheapest δ within `maxDrop` of the
// final exit there, over every δ at which the policy can change (the profile's bin accuracies).
const folder = join(modelsFolder(), options.model);
const manifest = parseManifest(await readFile(join(folder, 'model.json'), 'utf8'));
const traces = async (name) => readTraces(new Uint8Array(await readFile(join(folder, name))), name);
const profile = calibrate(await traces('val.npz'));
const validationScores = scoreExits(await traces('val.npz'), profile.confidence);
const costs = manifestCosts(manifest);
const fullAccuracy = evaluateFullModel(validationScores, costs).accuracy;
const chosen =
  options.delta === undefined
    ? cheapestDeltaForAccuracy(
        validationScores,
        profile,
        options.policy,
        Math.max(0, fullAccuracy - maxDrop),
        { costs },
      )
    : sweepDeltas(validationScores, profile, options.policy, [Number(options.delta)], costs)[0];
// Calibrated on these same traces, δ = 1 exits only where every sample was right, so some δ
// always qualifies for pcee; for pcee-ws or confidence it may not.
if (!chosen) {
  console.error(
    `error: no ${options.policy} δ of ${options.model} is within ${maxDrop} of the final exit on val.npz; raise --max-drop or pass --delta`,
  );
  process.exit(1);
}

// 2. Measure in the page.
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const pages = await bundlePages({ 'page-bench': here('page-bench.ts') });
const server = await servePages(pages);
const chromium = await launchChromium();
const problems = [];
let measured;
try {
  const page = await openPage(chromium.context, `${server.origin}/page-bench.html`, problems);
  measured = await page.evaluate((config) => globalThis.runBenchmark(config), {
    model: options.model,
    policy: options.policy,
    delta: chosen.delta,
    samples,
    batchSizes: options.batch.split(',').map(Number),
    rounds: Number(options.rounds),
  });
} finally {
  await chromium.close();
  await server.close();
}

console.log(
  `\n${options.model} on wasm in headless Chromium (${measured.hardwareConcurrency} hardware threads), ${measured.samples} test images, ${options.policy} δ=${chosen.delta}`,
);
console.log(
  `  δ ${options.delta === undefined ? 'chosen' : 'fixed'} on val.npz: accuracy there ${percent(chosen.accuracy)} vs full ${percent(fullAccuracy)}, relative cost ${chosen.relativeCost.toFixed(3)} (FLOPs)\n`,
);
printTable(
  'early exit vs full.onnx per batch size (fused: the exits δ never takes dropped; fused+: also the live exits that save less than their overhead)',
  [
    'batch',
    'early exit img/s',
    'full img/s',
    'speedup',
    'EE acc',
    'full acc',
    'mean exit',
    'fused img/s (×, live)',
    'fused+ img/s (×, live, acc)',
  ],
  measured.rows.map((row) => [
    row.batchSize,
    row.earlyExitPerSecond.toFixed(0),
    row.fullPerSecond.toFixed(0),
    times(row.speedup),
    percent(row.earlyExitAccuracy),
    percent(row.fullAccuracy),
    row.meanExit.toFixed(2),
    `${row.fusedPerSecond.toFixed(0)} (${times(row.fusedSpeedup)}, ${row.liveExits.join(' ')})`,
    `${row.fusedFurtherPerSecond.toFixed(0)} (${times(row.fusedFurtherSpeedup)}, ${row.liveExitsFurther.join(' ')}, ${percent(row.fusedFurtherAccuracy)})`,
  ]),
);
for (const problem of problems) console.log(`  warning: ${problem}`);
printJson('browser', {
  model: options.model,
  device: 'wasm',
  policy: options.policy,
  delta: chosen.delta,
  validationAccuracy: chosen.accuracy,
  fullValidationAccuracy: fullAccuracy,
  relativeCost: chosen.relativeCost,
  samples: measured.samples,
  hardwareConcurrency: measured.hardwareConcurrency,
  rows: measured.rows,
});
