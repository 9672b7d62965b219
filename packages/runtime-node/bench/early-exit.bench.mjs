// Measures: early exit vs full.onnx on onnxruntime-node, CPU: throughput, FLOP-predicted vs measured speedup, runner overhead.
// Early-exit inference vs the full model (full.onnx) on onnxruntime-node, CPU, for every
// bundled model: throughput, measured vs FLOP-predicted speedup, and the runner's own
// overhead at batch 1. Prints a table, then JSON. Run: npm run bench -w @pcee/runtime-node
// (after `npm run build`). Ratios are measured in one run, so machine load cancels out
// as far as it can; absolute numbers depend on the machine.
//
// δ per model: the cheapest δ whose VALIDATION accuracy (val.npz, the calibration data) is
// within PCEE_BENCH_ACCURACY_SLACK (default 0.005) of the final exit's there, searched over
// every δ at which the policy can change (the profile's bin accuracies); the test images only
// measure it. Models are read through @pcee/models (PCEE_MODELS_DIR for another export), with
// their inputs, bindings and exit counts from each model.json.
//
// Environment: PCEE_BENCH_MODELS=id,… (default every model), PCEE_BENCH_THREADS (2),
// PCEE_BENCH_REPETITIONS (5), PCEE_BENCH_SAMPLES=N caps the test images per batch size
// (default 2048 at batch 64, 512 at batch 1), PCEE_BENCH_ACCURACY_SLACK (0.005),
// PCEE_BENCH_DELTA=δ fixes δ instead of choosing it (e.g. on untrained weights).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  batchSizeOf,
  calibrate,
  compilePolicy,
  evaluateFullModel,
  manifestCosts,
  modelFingerprint,
  now,
  predictWithFullModel,
  preprocessModelInputs,
  readNpz,
  readTraces,
  runEarlyExit,
  scoreExits,
  sliceTensorMap,
  sweepDeltas,
} from '@pcee/core';
import { listModels, modelDir, testInputsPath } from '@pcee/models';
import { loadFullModel, nodeRuntime, openModelPackage } from '../dist/index.js';
import { pickDelta } from './pick-delta.mjs';

const THREADS = Number(process.env.PCEE_BENCH_THREADS ?? 2); // this machine has 2 cores
const REPETITIONS = Number(process.env.PCEE_BENCH_REPETITIONS ?? 5);
const SAMPLE_CAP = Number(process.env.PCEE_BENCH_SAMPLES ?? Number.POSITIVE_INFINITY);
// per batch size: enough batches for a stable median
const SAMPLES = { 64: Math.min(2048, SAMPLE_CAP), 1: Math.min(512, SAMPLE_CAP) };
const MODELS = process.env.PCEE_BENCH_MODELS?.split(',') ?? listModels().map((model) => model.id);

const folderOf = modelDir;
const rawInputs = readNpz(new Uint8Array(readFileSync(testInputsPath())));
const labels = Int32Array.from(rawInputs.get('labels').data, Number);

/** Median wall time (ms) of `repetitions` runs after one warm-up; also the runs' results. */
async function median(action) {
  await action();
  const runs = [];
  for (let repetition = 0; repetition < REPETITIONS; repetition++) {
    const started = now();
    const value = await action();
    runs.push({ ms: now() - started, value });
  }
  runs.sort((a, b) => a.ms - b.ms);
  return { ms: runs[runs.length >> 1].ms, runs };
}

async function benchModel(id) {
  const folder = folderOf(id);
  const modelPackage = await openModelPackage(folder);
  const { manifest } = modelPackage;
  const costs = manifestCosts(manifest);
  const traces = (name) => readTraces(new Uint8Array(readFileSync(join(folder, name))), name);
  const profile = calibrate(traces('val.npz'), {
    costs,
    model: { id: manifest.id, fingerprint: modelFingerprint(manifest) },
  });
  // δ is chosen on the validation traces (the profile's own data), never on the test set;
  // the accuracies reported below are measured on test images.
  const { choice } = pickDelta(id, scoreExits(traces('val.npz'), profile.confidence), profile, costs);
  const testScores = scoreExits(traces('test.npz'), profile.confidence);
  const fullAccuracy = evaluateFullModel(testScores, costs).accuracy;
  const [onTest] = sweepDeltas(testScores, profile, 'pcee', [choice.delta], costs);
  const policy = compilePolicy(profile, 'pcee', choice.delta);
  const options = { device: 'cpu', threads: THREADS };
  const staged = await nodeRuntime.load(modelPackage, options);
  const full = await loadFullModel(modelPackage, options);
  const results = [];
  // Every model input by name (the test .npz's `x` for a one-input model), preprocessed once.
  const allInputs = preprocessModelInputs(manifest, rawInputs);
  for (const batch of [64, 1]) {
    const count = Math.min(SAMPLES[batch], batchSizeOf(allInputs));
    const inputs = sliceTensorMap(allInputs, 0, count);
    const fullRun = await median(() => predictWithFullModel(full.run, inputs, batch));
    const earlyRun = await median(() =>
      runEarlyExit(staged, inputs, { policy, confidence: profile.confidence, costs, batchSize: batch }),
    );
    const result = earlyRun.runs[0].value;
    const meanCost = result.cost.reduce((sum, cost) => sum + cost, 0) / count;
    const stageMs = earlyRun.runs.reduce((sum, run) => sum + run.value.timing.stageMs, 0);
    const runnerMs = earlyRun.runs.reduce((sum, run) => sum + run.value.timing.runnerMs, 0);
    const accuracy = (predictions) =>
      predictions.reduce((sum, p, n) => sum + (p === labels[n] ? 1 : 0), 0) / count;
    const fullThroughput = count / (fullRun.ms / 1000);
    const throughput = count / (earlyRun.ms / 1000);
    const predictedSpeedup = costs.fullModel / meanCost;
    results.push({
      model: id,
      batch,
      samples: count,
      delta: choice.delta,
      testAccuracyFull: fullAccuracy,
      testAccuracyEarlyExit: onTest.accuracy,
      benchAccuracyFull: accuracy(fullRun.runs[0].value),
      benchAccuracyEarlyExit: accuracy(result.prediction),
      fullThroughput,
      throughput,
      speedup: throughput / fullThroughput,
      predictedSpeedup,
      measuredOverPredicted: throughput / fullThroughput / predictedSpeedup,
      runnerOverhead: runnerMs / stageMs,
    });
  }
  // Where the time goes when measured lags predicted: every stage on the whole first batch of
  // 64 (no exits), as a share of the full model's time, next to its share of the FLOPs.
  const batch = sliceTensorMap(allInputs, 0, Math.min(64, batchSizeOf(allInputs)));
  const fullMs = (await median(() => full.run(batch))).ms;
  const stageMs = [];
  // A stage may consume model inputs and tensors of any earlier stage, so everything produced
  // so far rides along (runStage takes what the stage consumes and ignores the rest).
  let carried = batch;
  for (let stage = 0; stage < staged.stages; stage++) {
    const current = carried;
    stageMs.push((await median(() => staged.runStage(stage, current))).ms);
    carried = { ...current, ...(await staged.runStage(stage, current)).tensors };
  }
  const stageFlops = manifest.stages.map((stage) => stage.flops.backbone + stage.flops.head);
  breakdowns.push({
    model: id,
    fullMs,
    stageMs,
    allStagesOverFull: stageMs.reduce((sum, ms) => sum + ms, 0) / fullMs,
    timeShare: stageMs.map((ms) => ms / fullMs),
    flopShare: stageFlops.map((flops) => flops / costs.fullModel),
  });
  await staged.dispose();
  await full.dispose();
  return results;
}

const rows = [];
const breakdowns = [];
for (const id of MODELS) {
  if (!existsSync(join(folderOf(id), 'model.json'))) {
    console.error(`skipping ${id}: not exported yet`);
    continue;
  }
  rows.push(...(await benchModel(id)));
}

const header = [
  'model',
  'batch',
  'δ',
  'test acc full',
  'test acc EE',
  'full /s',
  'EE /s',
  'speedup',
  'predicted',
  'measured/predicted',
  'runner/stage',
];
const table = rows.map((row) => [
  row.model,
  row.batch,
  row.delta.toFixed(3),
  row.testAccuracyFull.toFixed(4),
  row.testAccuracyEarlyExit.toFixed(4),
  row.fullThroughput.toFixed(0),
  row.throughput.toFixed(0),
  row.speedup.toFixed(2),
  row.predictedSpeedup.toFixed(2),
  row.measuredOverPredicted.toFixed(2),
  `${(100 * row.runnerOverhead).toFixed(1)}%`,
]);
const widths = header.map((title, column) =>
  Math.max(title.length, ...table.map((cells) => String(cells[column]).length)),
);
for (const cells of [header, ...table])
  console.log(
    cells
      .map((cell, column) => String(cell).padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
console.log(`\nCPU, ${THREADS} intra-op threads, median of ${REPETITIONS} runs after a warm-up`);
console.log('\nbatch 64, every stage, no exits: time share of the full model vs FLOP share, per stage');
for (const row of breakdowns) {
  const shares = row.timeShare.map(
    (share, stage) => `${(100 * share).toFixed(0)}%/${(100 * row.flopShare[stage]).toFixed(0)}%`,
  );
  console.log(`${row.model}: all stages = ${row.allStagesOverFull.toFixed(2)}× full; ${shares.join(' ')}`);
}
console.log(JSON.stringify({ threads: THREADS, repetitions: REPETITIONS, rows, breakdowns }, null, 2));
