// Benchmark: calibrate + a 100-δ PCEE sweep on 500k samples × 8 exits × 10 classes,
// @pcee/core versus a well-vectorised numpy implementation of the same work, measured
// side by side in one run on the same data. Prints a table and one JSON line.
// Usage: npm run bench -w @pcee/core  [-- --samples 500000 --repeats 3]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { calibrate, createTraces, scoreExits, sweepDeltas, writeTraces } from '../dist/index.js';

const { values } = parseArgs({
  options: { samples: { type: 'string', default: '500000' }, repeats: { type: 'string', default: '3' } },
});
const samples = Number(values.samples);
const repeats = Number(values.repeats);
const exits = 8;
const classes = 10;
const deltaCount = 100;

function syntheticTraces() {
  let state = 12345;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const logits = new Float32Array(samples * exits * classes);
  const labels = new Int32Array(samples);
  for (let n = 0; n < samples; n++) {
    const label = Math.floor(random() * classes);
    labels[n] = label;
    const difficulty = random();
    for (let l = 0; l < exits; l++) {
      const signal = (3 * (l + 1)) / exits - 2 * difficulty + 1;
      for (let c = 0; c < classes; c++) {
        logits[(n * exits + l) * classes + c] = (c === label ? signal : 0) + 3 * (random() - 0.5);
      }
    }
  }
  return createTraces(logits, labels, { samples, exits, classes });
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

const traces = syntheticTraces();
const deltas = Array.from({ length: deltaCount }, (_, i) => 0.5 + (0.49 * i) / (deltaCount - 1));
const folder = mkdtempSync(join(tmpdir(), 'pcee-bench-'));
const tracesPath = join(folder, 'traces.npz');
writeFileSync(tracesPath, writeTraces(traces, 'npz'));

const ours = { calibrate: [], sweep: [] };
let accuracy;
for (let repeat = 0; repeat < repeats; repeat++) {
  const started = performance.now();
  const scores = scoreExits(traces);
  const profile = calibrate(traces, { scores });
  const calibrated = performance.now();
  const rows = sweepDeltas(scores, profile, 'pcee', deltas);
  const swept = performance.now();
  ours.calibrate.push((calibrated - started) / 1000);
  ours.sweep.push((swept - calibrated) / 1000);
  accuracy = rows[0].accuracy;
}

const numpy = { calibrate: [], sweep: [] };
let numpyAccuracy;
const script = new URL('./numpy_reference.py', import.meta.url).pathname;
for (let repeat = 0; repeat < repeats; repeat++) {
  const output = execFileSync('/usr/bin/python3', [script, tracesPath, String(deltaCount)], {
    encoding: 'utf8',
  });
  const result = JSON.parse(output.trim().split('\n').at(-1));
  numpy.calibrate.push(result.calibrateSeconds);
  numpy.sweep.push(result.sweepSeconds);
  numpyAccuracy = result.accuracyAtFirstDelta;
}
rmSync(folder, { recursive: true, force: true });

const row = (name, times) => {
  const calibrateSeconds = median(times.calibrate);
  const sweepSeconds = median(times.sweep);
  return { name, calibrateSeconds, sweepSeconds, totalSeconds: calibrateSeconds + sweepSeconds };
};
const results = [row('@pcee/core', ours), row('numpy (vectorised)', numpy)];
const speedup = results[1].totalSeconds / results[0].totalSeconds;

console.log(
  `calibrate + ${deltaCount}-δ sweep, ${samples} samples × ${exits} exits × ${classes} classes (median of ${repeats})`,
);
console.log('implementation        calibrate s  sweep s  total s');
for (const r of results) {
  console.log(
    `${r.name.padEnd(22)}${r.calibrateSeconds.toFixed(3).padStart(11)}${r.sweepSeconds.toFixed(3).padStart(9)}${r.totalSeconds.toFixed(3).padStart(9)}`,
  );
}
console.log(
  `speedup vs numpy: ${speedup.toFixed(2)}× (target ≥ 3×); same accuracy at δ=0.5: ${Math.abs(accuracy - numpyAccuracy) < 1e-12}`,
);
console.log(
  JSON.stringify({
    samples,
    exits,
    classes,
    deltas: deltaCount,
    results,
    speedup,
    sameResult: Math.abs(accuracy - numpyAccuracy) < 1e-12,
  }),
);
