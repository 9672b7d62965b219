// Measures: accuracy, coverage and cost under input shift: static PCEE, the confidence baseline, each --on-violation response.
// Keeping the promise under input shift: `pcee serve` answers a stream of clean test images and
// then the same kind of images corrupted (noise, blur, contrast, pixelation; two severities
// each), with label feedback coming back after a delay. Per window of samples it records the
// accuracy of the answers, coverage, mean cost, the δ in force and the monitor's state, for:
// - static PCEE (the tuned δ, `--on-violation alert`: the monitor only logs);
// - the confidence baseline at the same δ (same server, `policy: confidence` per request);
// - online PCEE with `--on-violation recalibrate`, `abstain` and `full`;
// - `recalibrate` with labels on only 10% of requests;
// - audit only (`--audit-rate 0.05`, no labels): the label-free consistency of the early exits.
// Then a throughput check: the server with feedback on every request and a 5% audit against
// the same server without them, interleaved.
//
// Run: npm run bench:shift -w @pcee/serve (after building the CLI: npx turbo run build --filter=@pcee/cli...).
// Environment: PCEE_SHIFT_MODELS (default fmnist-cnn-large,fmnist-vit-large),
// PCEE_SHIFT_CORRUPTIONS (names such as contrast-0.4; default all eight), PCEE_SHIFT_CONFIGS,
// PCEE_SHIFT_CLEAN (2000 samples), PCEE_SHIFT_SHIFTED (6000), PCEE_SHIFT_WINDOW (1000),
// PCEE_SHIFT_SAMPLES_PER_REQUEST (16), PCEE_SHIFT_FEEDBACK_DELAY (8 requests),
// PCEE_SHIFT_THROUGHPUT_SAMPLES (4000, 0 skips), PCEE_SHIFT_OUT (folder for JSON and SVG),
// PCEE_SHIFT_TARGET (a fixed accuracy target; default the highest one certified on validation).
//
// δ and the accuracy target are chosen on validation data only: the profile is calibrated on
// the first half of the model's val.npz; the target is the highest whole percent that
// Learn-then-Test certifies on the second half at risk 0.05, and δ is the one it certifies.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Plot from '@observablehq/plot';
import { readNpz } from '@pcee/core';
import { corruptImages, corruptionName, SHIFT_CORRUPTIONS, testInputsPath } from '@pcee/models';
import { parseHTML } from 'linkedom';
import { median } from '../../../scripts/bench/bench-kit.mjs';
import { requireBuiltCli, startServer, stopServer } from './cli-server.mjs';
import { tuneOnValidation } from './tune-on-validation.mjs';

const env = (name, fallback) => Number(process.env[name] ?? fallback);
const MODELS = (process.env.PCEE_SHIFT_MODELS ?? 'fmnist-cnn-large,fmnist-vit-large').split(',');
const CLEAN = env('PCEE_SHIFT_CLEAN', 2000);
const SHIFTED = env('PCEE_SHIFT_SHIFTED', 6000);
const WINDOW = env('PCEE_SHIFT_WINDOW', 1000);
const SAMPLES_PER_REQUEST = env('PCEE_SHIFT_SAMPLES_PER_REQUEST', 16);
const FEEDBACK_DELAY = env('PCEE_SHIFT_FEEDBACK_DELAY', 8);
const THROUGHPUT_SAMPLES = env('PCEE_SHIFT_THROUGHPUT_SAMPLES', 4000);
const RISK = 0.05;
// A fixed target instead of the highest certified one (δ is still certified for it on validation data).
const TARGET = process.env.PCEE_SHIFT_TARGET ? Number(process.env.PCEE_SHIFT_TARGET) : undefined;
const OUT = process.env.PCEE_SHIFT_OUT ?? join(process.cwd(), 'shift-results');
const CORRUPTIONS = process.env.PCEE_SHIFT_CORRUPTIONS
  ? SHIFT_CORRUPTIONS.filter((corruption) =>
      process.env.PCEE_SHIFT_CORRUPTIONS.split(',').includes(corruptionName(corruption)),
    )
  : SHIFT_CORRUPTIONS;

/** Each configuration: server flags, request parameters, which requests get labels back, audit. */
const CONFIGS = {
  'static PCEE': { flags: ['--on-violation', 'alert'], labels: 1 },
  confidence: { flags: ['--on-violation', 'alert'], labels: 1, parameters: { policy: 'confidence' } },
  recalibrate: { flags: ['--on-violation', 'recalibrate'], labels: 1 },
  abstain: { flags: ['--on-violation', 'abstain'], labels: 1 },
  full: { flags: ['--on-violation', 'full'], labels: 1 },
  'recalibrate, 10% labels': { flags: ['--on-violation', 'recalibrate'], labels: 0.1 },
  'audit only': { flags: ['--on-violation', 'alert', '--audit-rate', '0.05', '--window', '200'], labels: 0 },
};
const CONFIG_NAMES = process.env.PCEE_SHIFT_CONFIGS?.split(',') ?? Object.keys(CONFIGS);

requireBuiltCli();
const work = mkdtempSync(join(tmpdir(), 'pcee-shift-bench-'));
mkdirSync(OUT, { recursive: true });
const test = readNpz(new Uint8Array(readFileSync(testInputsPath())));
const pixels = test.get('x').data;
const labels = Int32Array.from(test.get('labels').data, Number);
if (CLEAN + SHIFTED > labels.length)
  throw new Error(`the stream needs ${CLEAN + SHIFTED} test images; there are ${labels.length}`);

/** The stream's images: test images [0, CLEAN) clean, then [CLEAN, CLEAN + SHIFTED) corrupted. */
function streamImages(corruption) {
  const clean = pixels.subarray(0, CLEAN * 784);
  const shifted = corruptImages(pixels.subarray(CLEAN * 784, (CLEAN + SHIFTED) * 784), corruption);
  const images = new Uint8Array((CLEAN + SHIFTED) * 784);
  images.set(clean);
  images.set(shifted, clean.length);
  return images;
}

const post = async (url, body) => {
  const response = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  const json = await response.json();
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
};
const getJson = async (url) => (await fetch(url)).json();

/**
 * Streams the images through one server, request by request, sending each labelled request's
 * labels back FEEDBACK_DELAY requests later; records per sample what was answered, and after
 * every other request the monitor's state.
 */
async function stream(server, id, images, config) {
  const infer = `${server.url}/v2/models/${id}/infer`;
  const feedback = `${server.url}/v2/models/${id}/feedback`;
  const calibrationUrl = `${server.url}/v2/models/${id}/calibration`;
  const total = CLEAN + SHIFTED;
  const samples = {
    correct: new Uint8Array(total),
    abstained: new Uint8Array(total),
    cost: new Float64Array(total),
    delta: new Float64Array(total),
    mode: new Array(total),
    monitor: new Array(total),
    recalibrations: new Int32Array(total),
    consistency: new Float64Array(total).fill(Number.NaN),
  };
  const pending = [];
  // Labels owed so far: a share `config.labels` per request, sent whenever a whole one is due.
  let labelled = 0;
  let state = { monitor: 'ok', mode: 'policy', recalibrations: 0, consistency: Number.NaN };
  for (let start = 0, request = 0; start < total; start += SAMPLES_PER_REQUEST, request++) {
    const end = Math.min(total, start + SAMPLES_PER_REQUEST);
    const id_ = `r${request}`;
    const json = await post(infer, {
      id: id_,
      inputs: [
        {
          name: 'image',
          shape: [end - start, 28, 28],
          datatype: 'UINT8',
          data: Array.from(images.subarray(start * 784, end * 784)),
        },
      ],
      outputs: [{ name: 'prediction' }, { name: 'abstained' }],
      ...(config.parameters ? { parameters: config.parameters } : {}),
    });
    const [prediction, abstained] = json.outputs.map((output) => output.data);
    for (let index = 0; index < end - start; index++) {
      const sample = start + index;
      samples.correct[sample] = prediction[index] === labels[sample] ? 1 : 0;
      samples.abstained[sample] = abstained[index] ? 1 : 0;
      samples.cost[sample] = json.parameters.relative_cost;
      samples.delta[sample] = json.parameters.delta;
    }
    // A fixed share of requests gets labels, spread evenly (deterministic per stream).
    labelled += config.labels;
    if (labelled >= 1) {
      labelled -= 1;
      pending.push({ id: id_, labels: Array.from(labels.subarray(start, end)) });
    }
    while (pending.length > FEEDBACK_DELAY) await post(feedback, pending.shift());
    if (request % 2 === 0 || end === total) {
      const { operatingPoint, consistency } = await getJson(calibrationUrl);
      state = {
        monitor: operatingPoint.monitor.state,
        mode: operatingPoint.guard.mode,
        recalibrations: operatingPoint.guard.recalibrations,
        consistency: pooledAgreement(consistency),
      };
    }
    for (let sample = start; sample < end; sample++) {
      samples.mode[sample] = state.mode;
      samples.monitor[sample] = state.monitor;
      samples.recalibrations[sample] = state.recalibrations;
      samples.consistency[sample] = state.consistency;
    }
  }
  return samples;
}

/** Share of audited (exit, sample) observations whose prediction agreed with the final exit's. */
function pooledAgreement(profile) {
  let count = 0;
  let correct = 0;
  for (const exit of profile.exits) {
    count += exit.count.reduce((sum, value) => sum + value, 0);
    correct += exit.correct.reduce((sum, value) => sum + value, 0);
  }
  return count === 0 ? Number.NaN : correct / count;
}

/** Per window of WINDOW samples: answered accuracy, coverage, cost, δ, mode and monitor at its end. */
function windows(samples) {
  const rows = [];
  for (let start = 0; start < samples.correct.length; start += WINDOW) {
    const end = Math.min(samples.correct.length, start + WINDOW);
    let answered = 0;
    let right = 0;
    let cost = 0;
    for (let sample = start; sample < end; sample++) {
      cost += samples.cost[sample];
      if (samples.abstained[sample]) continue;
      answered++;
      right += samples.correct[sample];
    }
    rows.push({
      from: start,
      shifted: start >= CLEAN,
      accuracy: answered === 0 ? null : right / answered,
      coverage: answered / (end - start),
      relativeCost: cost / (end - start),
      delta: samples.delta[end - 1],
      mode: samples.mode[end - 1],
      monitor: samples.monitor[end - 1],
      recalibrations: samples.recalibrations[end - 1],
      auditConsistency: Number.isNaN(samples.consistency[end - 1]) ? null : samples.consistency[end - 1],
    });
  }
  return rows;
}

/** The first sample (from the shift's onset) at which the server left its policy or the monitor fired. */
function detection(samples) {
  for (let sample = CLEAN; sample < samples.mode.length; sample++) {
    if (samples.monitor[sample] === 'violated' || samples.mode[sample] !== 'policy') return sample - CLEAN;
  }
  return null;
}

async function runModel(id) {
  const tuned = tuneOnValidation(id, RISK, work, TARGET);
  console.error(`${id}: target ${tuned.target} (risk ${RISK}), δ ${tuned.delta}, chosen on validation data`);
  const results = [];
  for (const corruption of CORRUPTIONS) {
    const images = streamImages(corruption);
    for (const name of CONFIG_NAMES) {
      const config = CONFIGS[name];
      if (!config)
        throw new Error(
          `unknown configuration "${name}"; the configurations are: ${Object.keys(CONFIGS).join(', ')}`,
        );
      const server = await startServer([tuned.packageDir, '--profile', tuned.profilePath, ...config.flags]);
      let samples;
      const started = performance.now();
      try {
        samples = await stream(server, id, images, config);
      } finally {
        await stopServer(server);
      }
      const rows = windows(samples);
      const firedAt = detection(samples);
      const after = firedAt === null ? [] : rows.filter((row) => row.from >= CLEAN + firedAt);
      const answeredAfter = after.filter((row) => row.accuracy !== null);
      const shifted = rows.filter((row) => row.shifted);
      const result = {
        model: id,
        corruption: corruptionName(corruption),
        configuration: name,
        target: tuned.target,
        delta: tuned.delta,
        detectionSamples: firedAt,
        // Windows that start after the monitor fired: does every one keep target − 1 pt?
        minAccuracyAfterDetection: answeredAfter.length
          ? Math.min(...answeredAfter.map((row) => row.accuracy))
          : null,
        // A window with no answer (all abstained) breaks no promise: it counts as kept, at coverage 0.
        keepsTarget: after.length ? answeredAfter.every((row) => row.accuracy >= tuned.target - 0.01) : null,
        minCoverageAfterDetection: after.length ? Math.min(...after.map((row) => row.coverage)) : null,
        shiftedAccuracy: answeredAccuracy(samples, CLEAN),
        shiftedCoverage: coverage(samples, CLEAN),
        shiftedRelativeCost: mean(shifted.map((row) => row.relativeCost)),
        // The label-free audit signal (audit only): agreement of early exits with the final one.
        cleanConsistency: meanOf(rows.filter((row) => !row.shifted).map((row) => row.auditConsistency)),
        shiftedConsistency: meanOf(shifted.map((row) => row.auditConsistency)),
        seconds: (performance.now() - started) / 1000,
        windows: rows,
      };
      results.push(result);
      console.error(
        `${id} ${result.corruption} ${name}: shifted accuracy ${fmt(result.shiftedAccuracy)}, coverage ${fmt(result.shiftedCoverage)}, cost ${fmt(result.shiftedRelativeCost)}, detected after ${firedAt ?? '—'} samples, min window after ${fmt(result.minAccuracyAfterDetection)}${result.cleanConsistency === null ? '' : `, audit consistency clean ${fmt(result.cleanConsistency)} → shifted ${fmt(result.shiftedConsistency)}`} (${result.seconds.toFixed(1)} s)`,
      );
    }
  }
  return { model: id, target: tuned.target, delta: tuned.delta, exits: tuned.exits, results };
}

function answeredAccuracy(samples, from) {
  let answered = 0;
  let right = 0;
  for (let sample = from; sample < samples.correct.length; sample++) {
    if (samples.abstained[sample]) continue;
    answered++;
    right += samples.correct[sample];
  }
  return answered === 0 ? null : right / answered;
}

function coverage(samples, from) {
  let answered = 0;
  for (let sample = from; sample < samples.correct.length; sample++)
    answered += 1 - samples.abstained[sample];
  return answered / (samples.correct.length - from);
}

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
/** The mean of the values that are not null; null when none is. */
const meanOf = (values) => {
  const present = values.filter((value) => value !== null);
  return present.length === 0 ? null : mean(present);
};
const fmt = (value) =>
  value === null || value === undefined || Number.isNaN(value) ? '—' : value.toFixed(3);

/**
 * Samples/s of streaming `count` clean images with 8 inference requests in flight. With
 * `feedbackBatch` n > 0, the answers' labels go back n requests per call (1: one call per
 * request), at once, without holding up the next inference (as a labelling service apart from
 * the clients would), and counted in the time.
 */
async function throughput(url, id, count, feedbackBatch) {
  const infer = `${url}/v2/models/${id}/infer`;
  const feedbackUrl = `${url}/v2/models/${id}/feedback`;
  const calls = [];
  let entries = [];
  const flush = () => {
    if (entries.length === 0) return;
    calls.push(post(feedbackUrl, entries.length === 1 ? entries[0] : { feedback: entries }));
    entries = [];
  };
  let next = 0;
  const worker = async () => {
    for (;;) {
      const start = next;
      next += SAMPLES_PER_REQUEST;
      if (start >= count) return;
      const end = Math.min(count, start + SAMPLES_PER_REQUEST);
      const json = await post(infer, {
        inputs: [
          {
            name: 'image',
            shape: [end - start, 28, 28],
            datatype: 'UINT8',
            data: Array.from(pixels.subarray(start * 784, end * 784)),
          },
        ],
      });
      if (feedbackBatch === 0) continue;
      entries.push({ id: json.id, labels: Array.from(labels.subarray(start, end)) });
      if (entries.length >= feedbackBatch) flush();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: 8 }, worker));
  flush();
  await Promise.all(calls);
  return count / ((performance.now() - started) / 1000);
}

async function measureThroughput(id) {
  const tuned = tuneOnValidation(id, RISK, work, TARGET);
  const configurations = {
    plain: { flags: [], feedbackBatch: 0 },
    'feedback on every request + 5% audit': { flags: ['--audit-rate', '0.05'], feedbackBatch: 1 },
    'feedback on every request': { flags: [], feedbackBatch: 1 },
    'feedback, 16 requests per call': { flags: [], feedbackBatch: 16 },
    '5% audit': { flags: ['--audit-rate', '0.05'], feedbackBatch: 0 },
    '1% audit': { flags: ['--audit-rate', '0.01'], feedbackBatch: 0 },
  };
  const rates = Object.fromEntries(Object.keys(configurations).map((name) => [name, []]));
  for (let round = 0; round < 3; round++) {
    for (const [name, { flags, feedbackBatch }] of Object.entries(configurations)) {
      const server = await startServer([tuned.packageDir, '--profile', tuned.profilePath, ...flags]);
      try {
        await throughput(server.url, id, 512, feedbackBatch); // warm-up: sessions, JIT, allocator
        rates[name].push(await throughput(server.url, id, THROUGHPUT_SAMPLES, feedbackBatch));
      } finally {
        await stopServer(server);
      }
    }
  }
  const samplesPerSecond = Object.fromEntries(
    Object.keys(configurations).map((name) => [name, median(rates[name])]),
  );
  return {
    model: id,
    samplesPerSecond,
    ratioToPlain: Object.fromEntries(
      Object.entries(samplesPerSecond).map(([name, rate]) => [name, rate / samplesPerSecond.plain]),
    ),
    rounds: rates,
  };
}

/** Series colours (Tableau 10), one per configuration in `CONFIGS` order. */
const PALETTE = ['#4e79a7', '#f28e2c', '#e15759', '#76b7b2', '#59a14f', '#edc949', '#af7aa1'];
const PLOTTED = ['answered accuracy', 'coverage', 'relative cost'];

/**
 * One SVG per model and corruption, three panels sharing the stream axis: answered accuracy per
 * window (the target dashed), coverage and relative cost; the onset of the shift dotted.
 */
function plot(modelResult, corruption) {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const results = modelResult.results.filter(
    (result) => result.corruption === corruption && result.configuration !== 'audit only',
  );
  const names = results.map((result) => result.configuration);
  const rows = results
    .flatMap((result) =>
      result.windows.flatMap((row) =>
        [row.accuracy, row.coverage, row.relativeCost].map((value, index) => ({
          configuration: result.configuration,
          sample: row.from + WINDOW / 2,
          panel: PLOTTED[index],
          value,
        })),
      ),
    )
    .filter((row) => row.value !== null);
  const svg = Plot.plot({
    document,
    width: 760,
    height: 560,
    marginTop: 28 + 16 * Math.ceil(names.length / 4),
    marginLeft: 50,
    marginRight: 125,
    style: { fontFamily: 'sans-serif', fontSize: '11px', background: 'white' },
    ariaLabel: `${modelResult.model} under ${corruption}: answered accuracy, coverage and relative cost per window`,
    x: { label: `sample in the stream (${corruption} from ${CLEAN}, windows of ${WINDOW})`, grid: true },
    y: { label: null, domain: [0, 1.05], grid: true },
    fy: { label: null, domain: PLOTTED },
    color: { domain: names, range: PALETTE },
    marks: [
      Plot.frame({ stroke: '#ddd' }),
      Plot.ruleX([CLEAN], { stroke: '#999', strokeDasharray: '2,2' }),
      Plot.ruleY([{ panel: PLOTTED[0], y: modelResult.target }], {
        y: 'y',
        fy: 'panel',
        stroke: 'black',
        strokeDasharray: '6,3',
      }),
      Plot.lineY(rows, { x: 'sample', y: 'value', fy: 'panel', stroke: 'configuration', marker: 'dot' }),
    ],
  });
  svg.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  // A legend inside the SVG (Plot's own is HTML), four entries a row.
  names.forEach((name, index) => {
    const x = 50 + (index % 4) * 170;
    const y = 14 + 16 * Math.floor(index / 4);
    const line = document.createElement('line');
    for (const [key, value] of Object.entries({
      x1: x,
      x2: x + 18,
      y1: y - 4,
      y2: y - 4,
      stroke: PALETTE[index],
      'stroke-width': 2,
    })) {
      line.setAttribute(key, String(value));
    }
    const text = document.createElement('text');
    for (const [key, value] of Object.entries({ x: x + 24, y, 'text-anchor': 'start', fill: '#333' }))
      text.setAttribute(key, String(value));
    text.textContent = name;
    svg.append(line, text);
  });
  const target = document.createElement('text');
  for (const [key, value] of Object.entries({ x: 756, y: 14, 'text-anchor': 'end', fill: '#333' }))
    target.setAttribute(key, String(value));
  target.textContent = `target ${modelResult.target} (dashed)`;
  svg.append(target);
  return svg.outerHTML;
}

/** Re-draws the plots of a saved shift.json (PCEE_SHIFT_REPLOT=path): no server needed. */
function replot(path) {
  const saved = JSON.parse(readFileSync(path, 'utf8'));
  for (const modelResult of saved.models) {
    for (const corruption of new Set(modelResult.results.map((result) => result.corruption))) {
      writeFileSync(join(OUT, `shift-${modelResult.model}-${corruption}.svg`), plot(modelResult, corruption));
    }
  }
  console.log(`plots of ${path} in ${OUT}`);
  process.exit(0);
}
if (process.env.PCEE_SHIFT_REPLOT) replot(process.env.PCEE_SHIFT_REPLOT);

const report = {
  settings: {
    clean: CLEAN,
    shifted: SHIFTED,
    window: WINDOW,
    samplesPerRequest: SAMPLES_PER_REQUEST,
    feedbackDelayRequests: FEEDBACK_DELAY,
    risk: RISK,
  },
  models: [],
  throughput: [],
};
for (const id of MODELS) {
  const modelResult = await runModel(id);
  report.models.push(modelResult);
  for (const corruption of new Set(modelResult.results.map((result) => result.corruption))) {
    writeFileSync(join(OUT, `shift-${id}-${corruption}.svg`), plot(modelResult, corruption));
  }
  if (THROUGHPUT_SAMPLES > 0) report.throughput.push(await measureThroughput(id));
}

const table = [
  [
    'model',
    'corruption',
    'configuration',
    'target',
    'shifted acc',
    'coverage',
    'rel. cost',
    'detected after',
    'min window after',
    'keeps target − 1 pt',
  ],
];
for (const modelResult of report.models) {
  for (const result of modelResult.results) {
    table.push([
      result.model,
      result.corruption,
      result.configuration,
      result.target.toFixed(2),
      fmt(result.shiftedAccuracy),
      fmt(result.shiftedCoverage),
      fmt(result.shiftedRelativeCost),
      result.detectionSamples === null ? '—' : String(result.detectionSamples),
      fmt(result.minAccuracyAfterDetection),
      result.keepsTarget === null ? '—' : result.keepsTarget ? 'yes' : 'no',
    ]);
  }
}
const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
console.log(
  table.map((row) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`).join('\n'),
);
for (const entry of report.throughput) {
  console.log(`\n${entry.model} throughput (samples/s, median of 3 interleaved rounds; ratio to plain):`);
  for (const [name, rate] of Object.entries(entry.samplesPerSecond)) {
    console.log(`  ${name}: ${rate.toFixed(0)} (${entry.ratioToPlain[name].toFixed(3)})`);
  }
}
writeFileSync(join(OUT, 'shift.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nJSON and plots in ${OUT}`);
