// Measures: calibrate + a 100-δ PCEE sweep in @pcee/core against numpy, in process and end to end.
// Benchmark: calibrate + a 100-δ PCEE sweep on 500k samples × 8 exits × 10 classes,
// @pcee/core versus a well-vectorised numpy implementation of the same work, measured
// side by side in one run on the same data. Two parts:
//   1. in process: the math only (numpy's times measured inside its script);
//   2. end to end: whole processes, as a user runs them — `pcee calibrate` + `pcee evaluate`
//      (100 δ, --policy pcee) against the same two steps in numpy, and against one numpy script
//      that loads the traces once. Interpreter start, imports and reading the .npz count.
// Prints tables and one JSON line. Wall times swing with other processes on a shared machine;
// the CPU times (user + system of the child processes) are the steadier ones.
// Usage: npm run bench -w @pcee/core  [-- --samples 500000 --repeats 3 --python python3]
// (part 2 needs the CLI built: npm run build; numpy from PCEE_PYTHON, python3 or /usr/bin/python3)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fixed, median, printJson, printTable, times } from '../../../scripts/bench/bench-kit.mjs';
import { calibrate, createTraces, scoreExits, sweepDeltas, writeTraces } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '500000' },
    repeats: { type: 'string', default: '3' },
    python: { type: 'string' },
  },
});
const samples = Number(values.samples);
const repeats = Number(values.repeats);
const python = [values.python, process.env.PCEE_PYTHON, 'python3', '/usr/bin/python3'].find(
  (candidate) => candidate && spawnSync(candidate, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0,
);
if (!python) throw new Error('no python with numpy found; pass --python <path> or set PCEE_PYTHON');
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
  const output = execFileSync(python, [script, tracesPath, String(deltaCount)], {
    encoding: 'utf8',
  });
  const result = JSON.parse(output.trim().split('\n').at(-1));
  numpy.calibrate.push(result.calibrateSeconds);
  numpy.sweep.push(result.sweepSeconds);
  numpyAccuracy = result.accuracyAtFirstDelta;
}

// Part 2: end to end, whole processes.
const cli = new URL('../../cli/bin/pcee.js', import.meta.url).pathname;
const cliBuilt = existsSync(new URL('../../cli/dist/bin.js', import.meta.url).pathname);
/** CPU seconds (user + system) of this process's finished children, from /proc (Linux), else NaN. */
function childrenCpuSeconds() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime in clock ticks (USER_HZ 100)
  } catch {
    return Number.NaN;
  }
}
function timed(command, args) {
  const cpu = childrenCpuSeconds();
  const started = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return {
    wall: (performance.now() - started) / 1000,
    cpu: childrenCpuSeconds() - cpu,
    stdout: result.stdout,
  };
}
const deltaList = deltas.map((delta) => +delta.toFixed(6)).join(',');
const pipelines = {
  'pcee CLI': [
    () => timed(process.execPath, [cli, 'calibrate', tracesPath, '--out', join(folder, 'profile.json')]),
    () =>
      timed(process.execPath, [
        cli,
        'evaluate',
        join(folder, 'profile.json'),
        tracesPath,
        '--policy',
        'pcee',
        '--delta',
        deltaList,
        '--json',
      ]),
  ],
  'numpy, same two steps': [
    () =>
      timed(python, [
        script,
        tracesPath,
        String(deltaCount),
        '--step',
        'calibrate',
        '--profile',
        join(folder, 'numpy.json'),
      ]),
    () =>
      timed(python, [
        script,
        tracesPath,
        String(deltaCount),
        '--step',
        'evaluate',
        '--profile',
        join(folder, 'numpy.json'),
      ]),
  ],
  'numpy, one script': [() => timed(python, [script, tracesPath, String(deltaCount)])],
};
const endToEnd = [];
if (cliBuilt) {
  const runs = Object.fromEntries(Object.keys(pipelines).map((name) => [name, []]));
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const [name, steps] of Object.entries(pipelines)) runs[name].push(steps.map((step) => step()));
  }
  for (const [name, list] of Object.entries(runs)) {
    const stepMedian = (index, key) => median(list.map((run) => run[index]?.[key] ?? 0));
    endToEnd.push({
      name,
      stepSeconds: list[0].map((_, index) => stepMedian(index, 'wall')),
      totalSeconds: median(list.map((run) => run.reduce((sum, step) => sum + step.wall, 0))),
      totalCpuSeconds: median(list.map((run) => run.reduce((sum, step) => sum + step.cpu, 0))),
    });
  }
} else {
  console.error('end-to-end part skipped: the CLI is not built (run: npm run build)');
}
rmSync(folder, { recursive: true, force: true });

const row = (name, times) => {
  const calibrateSeconds = median(times.calibrate);
  const sweepSeconds = median(times.sweep);
  return { name, calibrateSeconds, sweepSeconds, totalSeconds: calibrateSeconds + sweepSeconds };
};
const results = [row('@pcee/core', ours), row('numpy (vectorised)', numpy)];
const speedup = results[1].totalSeconds / results[0].totalSeconds;

printTable(
  `calibrate + ${deltaCount}-δ sweep, ${samples} samples × ${exits} exits × ${classes} classes (median of ${repeats})`,
  ['implementation', 'calibrate s', 'sweep s', 'total s'],
  results.map((r) => [r.name, fixed(r.calibrateSeconds), fixed(r.sweepSeconds), fixed(r.totalSeconds)]),
);
console.log(
  `speedup vs numpy: ${speedup.toFixed(2)}× (target ≥ 3×); same accuracy at δ=0.5: ${Math.abs(accuracy - numpyAccuracy) < 1e-12}`,
);
const cliRow = endToEnd.find((row) => row.name === 'pcee CLI');
const endToEndSpeedups = Object.fromEntries(
  endToEnd
    .filter((row) => row !== cliRow)
    .map((row) => [
      row.name,
      { wall: row.totalSeconds / cliRow.totalSeconds, cpu: row.totalCpuSeconds / cliRow.totalCpuSeconds },
    ]),
);
if (cliRow) {
  printTable(
    `end to end (whole processes, median of ${repeats}; steps: calibrate, evaluate)`,
    ['pipeline', 'step wall s', 'total wall s', 'total CPU s', 'it / pcee CLI (wall, CPU)'],
    endToEnd.map((row) => {
      const ratio = endToEndSpeedups[row.name];
      return [
        row.name,
        row.stepSeconds.map((value) => value.toFixed(2)).join(' + '),
        fixed(row.totalSeconds, 2),
        fixed(row.totalCpuSeconds, 2),
        ratio ? `${times(ratio.wall)}, ${times(ratio.cpu)}` : '-',
      ];
    }),
  );
}
printJson('calibrate-sweep', {
  samples,
  exits,
  classes,
  deltas: deltaCount,
  results,
  speedup,
  sameResult: Math.abs(accuracy - numpyAccuracy) < 1e-12,
  endToEnd,
  endToEndSpeedups,
});
