// Measures: early exit (unfused, fused, fused+) vs full.onnx on onnxruntime-node, CPU: throughput, FLOP-predicted vs measured speedup, accuracy, live exits.
// Fused early exit vs unfused early exit vs the full model (full.onnx), onnxruntime-node, CPU:
// throughput, accuracy on the Fashion-MNIST test images, and which exits stay live. Prints a
// table, then JSON. Run: npm run bench -- early-exit (after npx turbo run build). Environment: PCEE_BENCH_MODELS=fmnist-cnn-large,… picks models (models come
// from @pcee/models, PCEE_MODELS_DIR for another export; inputs and stage bindings from each
// model.json); PCEE_BENCH_THREADS (2); PCEE_BENCH_REPETITIONS (9 rounds); PCEE_BENCH_SAMPLES=N
// caps the timed images per batch size (default 2048 at batch 64, 512 at batch 1);
// PCEE_BENCH_TEST_SAMPLES=N caps the test images of the accuracy pass (default all 10,000);
// PCEE_BENCH_ACCURACY_SLACK (0.005); PCEE_BENCH_DELTA=δ fixes δ instead of choosing it.
//
// Variants, at one δ per model:
//   full      full.onnx, no exit
//   unfused   runEarlyExit on the stage files (every exit live)
//   fused     FusedRunner: the exits the policy never takes are dropped, their stages fused
//   fused+    also the live exits whose expected saving is below their measured overhead
//             (chooseExitDrops on the validation traces; overhead measured at this batch)
//
// Nothing is chosen on the test set: the profile is calibrated on the validation traces, δ is
// the cheapest (over every δ where the policy can change: the profile's bin accuracies) whose
// accuracy on the validation traces is within 0.5 pt of the final exit's there, and the exits to drop are chosen on the validation traces too. The test images give
// the accuracies and the timings. The variants are timed in interleaved rounds (one of each
// per round, median over rounds) so that load from other processes on a shared CPU hits all
// of them alike; absolute numbers depend on the machine, ratios less so.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  batchSizeOf,
  calibrate,
  chooseExitDrops,
  compilePolicy,
  fusedExitCosts,
  headOverheads,
  manifestCosts,
  measuredExitOverheads,
  modelFingerprint,
  now,
  planFusion,
  predictWithFullModel,
  preprocessModelInputs,
  readNpz,
  readTraces,
  runEarlyExit,
  scoreExits,
  sliceTensorMap,
} from '@pcee/core';
import { FusedRunner, measureExitOverhead } from '@pcee/engine';
import { modelDir, testInputsPath } from '@pcee/models';
import { loadFullModel, nodeRuntime, openModelPackage } from '@pcee/runtime-node';
import { median, printJson, printTable } from '../../../scripts/bench/bench-kit.mjs';
import { pickDelta } from './pick-delta.mjs';

const THREADS = Number(process.env.PCEE_BENCH_THREADS ?? 2);
const ROUNDS = Number(process.env.PCEE_BENCH_REPETITIONS ?? 9);
const SAMPLE_CAP = Number(process.env.PCEE_BENCH_SAMPLES ?? Number.POSITIVE_INFINITY);
const SAMPLES = { 64: Math.min(2048, SAMPLE_CAP), 1: Math.min(512, SAMPLE_CAP) };
const TEST_SAMPLES = Number(process.env.PCEE_BENCH_TEST_SAMPLES ?? Number.POSITIVE_INFINITY);
const MODELS = (process.env.PCEE_BENCH_MODELS ?? 'fmnist-cnn-large,fmnist-vit-large').split(',');

const rawInputs = readNpz(new Uint8Array(readFileSync(testInputsPath())));
const labels = Int32Array.from(rawInputs.get('labels').data, Number).subarray(
  0,
  Math.min(TEST_SAMPLES, rawInputs.get('labels').shape[0]),
);

const accuracyOf = (predictions) =>
  predictions.reduce((sum, p, n) => sum + (p === labels[n] ? 1 : 0), 0) / predictions.length;
const firstRows = (inputs, count) => sliceTensorMap(inputs, 0, Math.min(count, batchSizeOf(inputs)));
const medianOf = median;

/**
 * Interleaved timing: two warm-up rounds, then ROUNDS rounds of every variant, each round
 * starting at the next variant (so none always follows the same one); median ms each.
 */
async function timeVariants(variants) {
  const times = variants.map(() => []);
  for (let round = 0; round < ROUNDS + 2; round++) {
    for (let k = 0; k < variants.length; k++) {
      const index = (round + k) % variants.length;
      const started = now();
      await variants[index].run();
      if (round >= 2) times[index].push(now() - started);
    }
  }
  return { ms: times.map(medianOf), times };
}

/** Median over rounds of time(a) / time(b) in the same round: robust to a disturbed round. */
const pairedSpeedup = (times, a, b) => medianOf(times[a].map((ms, round) => ms / times[b][round]));

async function benchModel(id) {
  const modelPackage = await openModelPackage(modelDir(id));
  const { manifest } = modelPackage;
  const costs = manifestCosts(manifest);
  const folder = modelDir(id);
  const validation = readTraces(new Uint8Array(readFileSync(join(folder, 'val.npz'))), 'val.npz');
  const profile = calibrate(validation, {
    costs,
    model: { id: manifest.id, fingerprint: modelFingerprint(manifest) },
  });
  const validationScores = scoreExits(validation, profile.confidence);
  const { validationAccuracyFull, choice } = pickDelta(id, validationScores, profile, costs);
  const policy = compilePolicy(profile, 'pcee', choice.delta);
  const options = { device: 'cpu', threads: THREADS };
  // Every model input by name (the test .npz's `x` for a one-input model), preprocessed once.
  const allInputs = firstRows(preprocessModelInputs(manifest, rawInputs), labels.length);
  const full = await loadFullModel(modelPackage, options);
  const unfused = await nodeRuntime.load(modelPackage, options);
  const runner = new FusedRunner(nodeRuntime, modelPackage, options);
  const run = { policy, confidence: profile.confidence, costs };
  const heads = headOverheads(manifest);
  const meanCost = (result) => result.cost.reduce((sum, cost) => sum + cost, 0) / result.cost.length;

  // Accuracy on every test image and agreement with the unfused runner, per set of dropped exits.
  const reference = await runEarlyExit(unfused, allInputs, { ...run, batchSize: 64 });
  const fullPredictions = await predictWithFullModel(full.run, allInputs, 64);
  const checked = new Map();
  async function checkOnTest(alsoDrop) {
    const key = alsoDrop.join(',');
    if (checked.has(key)) return checked.get(key);
    const result = await runner.run(allInputs, { ...run, batchSize: 64, alsoDrop });
    // Samples the unfused runner sends to an exit that stays must take it with the same prediction.
    let kept = 0;
    let differ = 0;
    for (let n = 0; n < labels.length; n++) {
      if (alsoDrop.includes(reference.exit[n])) continue;
      kept++;
      if (result.exit[n] !== reference.exit[n] || result.prediction[n] !== reference.prediction[n]) differ++;
    }
    const summary = { accuracy: accuracyOf(result.prediction), meanCost: meanCost(result), kept, differ };
    checked.set(key, summary);
    return summary;
  }
  const fusedOnTest = await checkOnTest([]);

  const rows = [];
  for (const batch of [64, 1]) {
    const inputs = firstRows(allInputs, SAMPLES[batch]);
    const count = batchSizeOf(inputs);
    const measurement = await measureExitOverhead(nodeRuntime, modelPackage, allInputs, {
      batch,
      load: options,
    });
    const weighed = measuredExitOverheads(costs, manifest, measurement);
    const drops = chooseExitDrops(validationScores, policy, weighed.costs, { overheads: weighed.overheads });
    const plan = planFusion(policy);
    const planFurther = planFusion(policy, drops.drop);
    const furtherOnTest = await checkOnTest(drops.drop);
    const variants = [
      { name: 'full', run: () => predictWithFullModel(full.run, inputs, batch) },
      { name: 'unfused', run: () => runEarlyExit(unfused, inputs, { ...run, batchSize: batch }) },
      { name: 'fused', run: () => runner.run(inputs, { ...run, batchSize: batch }) },
      {
        name: 'fused+',
        run: () => runner.run(inputs, { ...run, batchSize: batch, alsoDrop: drops.drop }),
      },
    ];
    const { ms, times } = await timeVariants(variants);
    const throughput = ms.map((value) => count / (value / 1000));
    const fusedCosts = fusedExitCosts(costs, planFurther, heads);
    rows.push({
      model: id,
      batch,
      samples: count,
      delta: choice.delta,
      validationAccuracyFull,
      validationAccuracyEarlyExit: choice.accuracy,
      liveExits: plan.liveExits,
      liveExitsFurther: planFurther.liveExits,
      droppedFurther: drops.drop,
      testAccuracy: {
        full: accuracyOf(fullPredictions),
        unfused: accuracyOf(reference.prediction),
        fused: fusedOnTest.accuracy,
        fusedFurther: furtherOnTest.accuracy,
      },
      identicalToUnfused: {
        fused: `${fusedOnTest.kept - fusedOnTest.differ}/${fusedOnTest.kept}`,
        fusedFurtherAtKeptExits: `${furtherOnTest.kept - furtherOnTest.differ}/${furtherOnTest.kept}`,
      },
      throughput: Object.fromEntries(variants.map((variant, k) => [variant.name, throughput[k]])),
      speedup: Object.fromEntries(
        variants.map((variant, k) => [variant.name, throughput[k] / throughput[0]]),
      ),
      // Per round, unfused time over fused time, median: the gain of fusion on its own.
      pairedGainOverUnfused: { fused: pairedSpeedup(times, 1, 2), fusedFurther: pairedSpeedup(times, 1, 3) },
      flopPredictedSpeedup: {
        unfused: costs.fullModel / meanCost(reference),
        fused: costs.fullModel / fusedOnTest.meanCost,
        fusedFurther: costs.fullModel / furtherOnTest.meanCost,
      },
      fusedFurtherFlopsPerExit: fusedCosts.exits,
      overhead: { ...measurement, boundaryFlopEquivalent: weighed.boundary },
      dropDecision: {
        before: drops.before,
        after: drops.after,
        candidates: drops.candidates,
      },
    });
  }
  await Promise.all([full.dispose(), unfused.dispose(), runner.dispose()]);
  return rows;
}

const rows = [];
for (const id of MODELS) rows.push(...(await benchModel(id)));

const header = [
  'model',
  'batch',
  'δ (val)',
  'live exits',
  'fused+ live',
  'test acc full/EE/fused/fused+',
  'full /s',
  'unfused /s',
  'fused /s',
  'fused+ /s',
  'speedup unfused/fused/fused+',
  'FLOP-pred unfused/fused+',
  'gain over unfused (paired) fused/fused+',
  'same as unfused',
];
const pct = (value) => (100 * value).toFixed(2);
const table = rows.map((row) => [
  row.model,
  row.batch,
  row.delta.toFixed(3),
  row.liveExits.join(' '),
  row.liveExitsFurther.join(' '),
  `${pct(row.testAccuracy.full)}/${pct(row.testAccuracy.unfused)}/${pct(row.testAccuracy.fused)}/${pct(row.testAccuracy.fusedFurther)}`,
  row.throughput.full.toFixed(0),
  row.throughput.unfused.toFixed(0),
  row.throughput.fused.toFixed(0),
  row.throughput['fused+'].toFixed(0),
  `${row.speedup.unfused.toFixed(2)}/${row.speedup.fused.toFixed(2)}/${row.speedup['fused+'].toFixed(2)}`,
  `${row.flopPredictedSpeedup.unfused.toFixed(2)}/${row.flopPredictedSpeedup.fusedFurther.toFixed(2)}`,
  `${row.pairedGainOverUnfused.fused.toFixed(2)}/${row.pairedGainOverUnfused.fusedFurther.toFixed(2)}`,
  `${row.identicalToUnfused.fused}, ${row.identicalToUnfused.fusedFurtherAtKeptExits}`,
]);
printTable('early exit vs full.onnx, per model and batch size', header, table);
console.log(
  `\nCPU, ${THREADS} intra-op threads, median of ${ROUNDS} interleaved rounds after two warm-up rounds (shared machine: ratios, not absolutes)`,
);
for (const row of rows) {
  const per = (row.overhead.perExitMs * 1000).toFixed(1);
  console.log(
    `${row.model} batch ${row.batch}: one live exit costs ${per} µs/sample (staged ${row.overhead.stagedMs.toFixed(2)} ms vs one graph ${row.overhead.fusedMs.toFixed(2)} ms per batch); dropped further: ${row.droppedFurther.join(' ') || 'none'}; val accuracy ${pct(row.dropDecision.before.accuracy)} → ${pct(row.dropDecision.after.accuracy)}`,
  );
}
printJson('early-exit', { threads: THREADS, rounds: ROUNDS, rows });
