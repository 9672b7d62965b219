// Measures: how often `pcee tune`'s certified δ misses its target on resampled splits, the price of the guarantee, and per-exit budget tuning.
// Benchmark of `pcee tune`'s guarantee and of per-exit budget tuning on the bundled models.
//
// 1. Resampling: each model's val + test traces pooled (20,000 samples), random splits into
//    calibrate 25% / holdout 25% / test 50%; per target: how often the certified δ falls
//    below the target (on the test split, and on holdout ∪ test), and the price of the
//    guarantee: mean relative test cost of the tuned δ against the cheapest δ that met the
//    target on the test split in hindsight.
// 2. Per-exit thresholds: fmnist-cnn-large calibrated on half of val.npz, tuned on the other
//    half (the holdout) for the budget of fmnist-cnn-small's full model, single δ against one
//    threshold per exit; both then measured on test.npz (never used for choosing).
//
// Targets are offsets from each model's final-exit accuracy on its validation traces (well
// below it, near it, and with abstention above it), so the study spans each model's range
// whatever accuracy its training reached. Models are read from packages/models, or from
// PCEE_MODELS_DIR laid out alike (core cannot depend on @pcee/models).
//
// Prints tables and one JSON line. Usage (after a build):
//   npm run bench:guarantee -w @pcee/core [-- --splits 200 --per-exit-splits 10]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fixed as formatFixed, percent, printJson, printTable } from '../../../scripts/bench/bench-kit.mjs';
import {
  buildReliabilityDiagrams,
  compilePolicy,
  createTraces,
  evaluateFullModel,
  evaluatePolicy,
  readTraces,
  resampleGuarantee,
  scoreExits,
  seededRandom,
  subsetScores,
  tuneForBudget,
} from '../dist/index.js';

const { values } = parseArgs({
  options: {
    splits: { type: 'string', default: '200' },
    'per-exit-splits': { type: 'string', default: '10' },
  },
});
const splits = Number(values.splits);
const perExitSplits = Number(values['per-exit-splits']);
const models = process.env.PCEE_MODELS_DIR
  ? pathToFileURL(`${process.env.PCEE_MODELS_DIR}/`)
  : new URL('../../models/', import.meta.url);

const readModel = (id) => {
  const read = (name) => readTraces(readFileSync(new URL(`${id}/${name}`, models)), name);
  const manifest = JSON.parse(readFileSync(new URL(`${id}/model.json`, models), 'utf8'));
  return {
    val: read('val.npz'),
    test: read('test.npz'),
    costs: { unit: 'flops', exits: manifest.exitCosts, fullModel: manifest.fullModelCost },
  };
};

const pool = (a, b) => {
  const logits = new Float32Array(a.logits.length + b.logits.length);
  logits.set(a.logits);
  logits.set(b.logits, a.logits.length);
  const labels = new Int32Array(a.samples + b.samples);
  labels.set(a.labels);
  labels.set(b.labels, a.samples);
  return createTraces(logits, labels, { samples: a.samples + b.samples, exits: a.exits, classes: a.classes });
};

// Offsets from the final exit's validation accuracy (the same as the core resampling test's).
const CASES = [
  { id: 'fmnist-cnn-small', offsets: [-0.09, -0.04, -0.012, -0.003], abstain: false },
  { id: 'fmnist-cnn-large', offsets: [-0.1, -0.05, -0.016, -0.006], abstain: false },
  { id: 'fmnist-cnn-large', offsets: [0.014, 0.034, 0.054], abstain: true },
  { id: 'fmnist-vit-small', offsets: [-0.012, -0.002, 0.003], abstain: false },
  { id: 'fmnist-vit-large', offsets: [-0.012, -0.007, -0.002], abstain: false },
];
/** Target accuracies: offsets from the final exit's accuracy on `val` (3 decimals), in (0, 1). */
const targetsOf = (val, costs, offsets) => {
  const final = evaluateFullModel(scoreExits(val), costs).accuracy;
  return offsets.map((offset) =>
    Math.min(0.999, Math.max(0.001, Math.round((final + offset) * 1000) / 1000)),
  );
};
const risk = 0.05;
const fixed = (value, digits = 4) => formatFixed(value, digits);

const resampling = [];
let pooledSamples = 0;
for (const { id, offsets, abstain } of CASES) {
  const { val, test, costs } = readModel(id);
  const targets = targetsOf(val, costs, offsets);
  const started = performance.now();
  const pooled = pool(val, test);
  pooledSamples = pooled.samples;
  const rows = resampleGuarantee(pooled, {
    targets,
    risk,
    abstain,
    costs,
    splits,
    calibrationShare: 0.25,
    holdoutShare: 0.25,
    seed: 2024,
  });
  const seconds = (performance.now() - started) / 1000;
  for (const row of rows) resampling.push({ model: id, abstain, risk, ...row, seconds });
}

printTable(
  `Learn-then-Test on pooled val+test (${pooledSamples.toLocaleString('en-US')} samples), ${splits} splits 25/25/50, α=${risk}; accuracy is selective accuracy with abstain`,
  [
    'model',
    'target',
    'certified',
    'viol. test',
    'viol. pop.',
    'naive viol.',
    'test acc.',
    'tuned cost',
    'hindsight',
    'price',
  ],
  resampling.map((row) => [
    `${row.model}${row.abstain ? ' +abstain' : ''}`,
    row.target,
    `${row.certified}/${row.splits}`,
    percent(row.violations / row.splits),
    percent(row.populationViolations / row.splits),
    percent(row.naiveViolations / row.splits),
    fixed(row.meanTestAccuracy),
    fixed(row.meanTunedCost),
    fixed(row.meanHindsightCost),
    row.priceOfGuarantee === null ? '-' : `+${(row.priceOfGuarantee * 100).toFixed(1)}%`,
  ]),
);

// Per-exit thresholds at the small model's cost.
const large = readModel('fmnist-cnn-large');
const small = readModel('fmnist-cnn-small');
const budget = small.costs.fullModel;
const validation = scoreExits(large.val);
const testScores = scoreExits(large.test);
const random = seededRandom(7);
const perExit = [];
for (let split = 0; split < perExitSplits; split++) {
  const order = Int32Array.from({ length: validation.samples }, (_, n) => n);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const half = validation.samples / 2;
  const calibration = subsetScores(validation, order.subarray(0, half));
  const holdout = subsetScores(validation, order.subarray(half));
  const profile = {
    format: 'pcee-profile',
    version: 1,
    model: { id: 'fmnist-cnn-large', exits: large.val.exits, classes: large.val.classes, fingerprint: null },
    confidence: 'max-softmax',
    binning: { method: 'width', bins: 15 },
    costs: large.costs,
    samples: half,
    diagrams: buildReliabilityDiagrams(calibration, { bins: 15 }),
  };
  const started = performance.now();
  const tuning = tuneForBudget(holdout, profile, { maxMeanCost: budget, perExit: true });
  const searchMs = performance.now() - started;
  const single = evaluatePolicy(testScores, compilePolicy(profile, 'pcee', tuning.single.delta), large.costs);
  const perExitTest = evaluatePolicy(
    testScores,
    compilePolicy(profile, 'pcee', tuning.exitDeltas),
    large.costs,
  );
  perExit.push({
    split,
    searchMs,
    singleDelta: tuning.single.delta,
    exitDeltas: tuning.exitDeltas,
    holdout: { single: tuning.single.accuracy, perExit: tuning.chosen.accuracy },
    test: {
      single: single.accuracy,
      perExit: perExitTest.accuracy,
      singleCost: single.meanCost,
      perExitCost: perExitTest.meanCost,
    },
  });
}
const mean = (list) => list.reduce((sum, value) => sum + value, 0) / list.length;
const summary = {
  budgetFlops: budget,
  holdoutGain: mean(perExit.map((row) => row.holdout.perExit - row.holdout.single)),
  testGain: mean(perExit.map((row) => row.test.perExit - row.test.single)),
  testSingle: mean(perExit.map((row) => row.test.single)),
  testPerExit: mean(perExit.map((row) => row.test.perExit)),
  testSingleCost: mean(perExit.map((row) => row.test.singleCost)),
  testPerExitCost: mean(perExit.map((row) => row.test.perExitCost)),
  searchMs: mean(perExit.map((row) => row.searchMs)),
};
printTable(
  `fmnist-cnn-large at fmnist-cnn-small's full cost (${(budget / 1e6).toFixed(3)} MFLOPs): single δ vs one threshold per exit\n(calibrate on half of val.npz, tune on the other half, measure on test.npz; ${perExitSplits} splits)`,
  ['split', 'holdout δ', 'holdout per-exit', 'test δ', 'test per-exit', 'test MFLOPs δ / per-exit'],
  perExit.map((row) => [
    row.split,
    fixed(row.holdout.single),
    fixed(row.holdout.perExit),
    fixed(row.test.single),
    fixed(row.test.perExit),
    `${(row.test.singleCost / 1e6).toFixed(3)} / ${(row.test.perExitCost / 1e6).toFixed(3)}`,
  ]),
);
console.log(
  `mean gain: holdout ${(summary.holdoutGain * 100).toFixed(2)} points, test ${(summary.testGain * 100).toFixed(2)} points (${fixed(summary.testSingle)} → ${fixed(summary.testPerExit)}); search ${summary.searchMs.toFixed(0)} ms per split`,
);
printJson('guarantee', { resampling, perExit: { summary, splits: perExit } });
