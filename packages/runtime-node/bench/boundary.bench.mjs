// Measures: where the time of a stage boundary goes (session options, carried tensors), stage by stage against full.onnx.
// Where does the time of a stage boundary go? Runs a model stage by stage with no exit at
// all (every sample through every stage, as a δ that never exits would) next to full.onnx on
// onnxruntime-node, CPU, one batch, and prints:
//
//   1. session options one by one: full.onnx vs stage-by-stage, each variant timed in rounds
//      interleaved with the PCEE default (so machine load hits both alike), min and median;
//   2. the breakdown for the default options, from onnxruntime's own profiler: kernel time per
//      operator type (stages minus full), onnxruntime's per-run overhead outside kernels, and
//      the time outside onnxruntime (the binding's output copy, tensor wrapping, promises);
//   3. the same chain through @pcee/runtime-node's `runStage` (its checks and wrappers).
//
// Stages are chained by their model.json bindings (version 2: each stage consumes model inputs
// and tensors of any earlier stage by name, and may produce several); the input batch is the
// first test images (@pcee/models' test set, preprocessed per the manifest's inputs).
//
// Then one JSON object with every number. Run after `npm run build`:
//   node packages/runtime-node/bench/boundary.bench.mjs [--model fmnist-cnn-large] [--batch 64]
//        [--threads 2] [--rounds 30] [--variants default,arena-off,…]
// Ratios are measured side by side in one process; absolute times depend on the machine and on
// what else runs on it.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseManifest, preprocessModelInputs, readNpz, sliceTensorMap } from '@pcee/core';
import { modelDir, testInputsPath } from '@pcee/models';
import { median, printJson, printTable } from '../../../scripts/bench/bench-kit.mjs';
import { nodeRuntime, openModelPackage } from '../dist/index.js';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'fmnist-cnn-large' },
    batch: { type: 'string', default: '64' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '30' },
    variants: { type: 'string' },
    'profile-rounds': { type: 'string', default: '20' },
  },
});
const BATCH = Number(values.batch);
const THREADS = Number(values.threads);
const ROUNDS = Number(values.rounds);
const PROFILE_ROUNDS = Number(values['profile-rounds']);

/** @pcee/runtime-node's session options for `cpu` (see src/session-options.ts). */
const DEFAULT_OPTIONS = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  interOpNumThreads: 1,
  intraOpNumThreads: THREADS,
  logSeverityLevel: 3,
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};
const withSession = (entries) => ({
  ...DEFAULT_OPTIONS,
  extra: { session: { ...DEFAULT_OPTIONS.extra.session, ...entries } },
});

/** Each variant changes one thing against the default. */
const VARIANTS = {
  default: { options: DEFAULT_OPTIONS },
  'graph-extended': { options: { ...DEFAULT_OPTIONS, graphOptimizationLevel: 'extended' } },
  'graph-basic': { options: { ...DEFAULT_OPTIONS, graphOptimizationLevel: 'basic' } },
  'execution-parallel': { options: { ...DEFAULT_OPTIONS, executionMode: 'parallel' } },
  'threads-1': { options: { ...DEFAULT_OPTIONS, intraOpNumThreads: 1 } },
  'arena-off': { options: { ...DEFAULT_OPTIONS, enableCpuMemArena: false } },
  'mem-pattern-off': { options: { ...DEFAULT_OPTIONS, enableMemPattern: false } },
  'prepacking-off': { options: withSession({ disable_prepacking: '1' }) },
  'free-dimension-batch': { options: { ...DEFAULT_OPTIONS, freeDimensionOverrides: { batch: BATCH } } },
  'preallocated-outputs': { options: DEFAULT_OPTIONS, preallocate: true },
  'spinning-on': { options: withSession({ intra_op: { allow_spinning: '1' } }) },
};
const chosen = values.variants ? values.variants.split(',') : Object.keys(VARIANTS);
for (const name of chosen) {
  if (!VARIANTS[name]) throw new Error(`unknown variant ${name}; known: ${Object.keys(VARIANTS).join(', ')}`);
}

const folder = modelDir(values.model);
// parseManifest gives the version 2 shape for either version: stage bindings
// (consumes/produces as { name, onnxName }, logits) and the full model's input bindings.
const manifest = parseManifest(readFileSync(join(folder, 'model.json'), 'utf8'));
if (!manifest.full) throw new Error(`${values.model} ships no full.onnx`);

// The model inputs of one batch, by tensor name: the first BATCH test images, preprocessed.
const test = readNpz(new Uint8Array(readFileSync(testInputsPath())));
const allInputs = preprocessModelInputs(manifest, test);
const available = Object.values(allInputs)[0].shape[0];
if (BATCH > available) throw new Error(`--batch ${BATCH} needs ${BATCH} test images; there are ${available}`);
const modelInputs = sliceTensorMap(allInputs, 0, BATCH);
const inputTensors = Object.fromEntries(
  Object.entries(modelInputs).map(([name, tensor]) => [
    name,
    new ort.Tensor(tensor.dtype, tensor.data, tensor.shape),
  ]),
);
const fullFeeds = Object.fromEntries(
  manifest.full.inputs.map(({ name, onnxName }) => [onnxName, inputTensors[name]]),
);

/**
 * Runs stage `index` on raw onnxruntime: feeds what it consumes from `carried` (tensors by
 * name) under its graph names, adds what it produces to `carried`, returns every output.
 */
async function runRawStage(session, index, carried, fetches) {
  const stage = manifest.stages[index];
  const feeds = Object.fromEntries(stage.consumes.map(({ name, onnxName }) => [onnxName, carried[name]]));
  const outputs = fetches ? await session.run(feeds, fetches) : await session.run(feeds);
  for (const { name, onnxName } of stage.produces) carried[name] = outputs[onnxName];
  return outputs;
}
/** Bytes of the tensors stage `index` hands on to later stages (0 for the last stage). */
const producedBytes = (index, outputs) =>
  manifest.stages[index].produces.reduce((sum, { onnxName }) => sum + outputs[onnxName].data.byteLength, 0);
const fileBytes = (name) => new Uint8Array(readFileSync(join(folder, name)));
const stageBytes = manifest.stages.map((stage) => fileBytes(stage.file));
const fullBytes = fileBytes(manifest.full.file);

async function createVariant(variant) {
  const full = await ort.InferenceSession.create(fullBytes, variant.options);
  const stages = [];
  for (const bytes of stageBytes) stages.push(await ort.InferenceSession.create(bytes, variant.options));
  let fetches;
  if (variant.preallocate) {
    // One run to learn every output's shape, then one buffer per output, reused on every run.
    fetches = [];
    const carried = { ...inputTensors };
    for (const [index, session] of stages.entries()) {
      const outputs = await runRawStage(session, index, carried);
      fetches.push(
        Object.fromEntries(
          Object.entries(outputs).map(([name, tensor]) => [
            name,
            new ort.Tensor(tensor.type, new tensor.data.constructor(tensor.data.length), tensor.dims),
          ]),
        ),
      );
    }
  }
  return {
    full: () => full.run(fullFeeds),
    chain: async () => {
      const carried = { ...inputTensors };
      let outputs;
      for (const [index, session] of stages.entries()) {
        outputs = await runRawStage(session, index, carried, fetches?.[index]);
      }
      return outputs;
    },
    release: () => Promise.all([full, ...stages].map((session) => session.release())),
  };
}

/**
 * Wall time (min, median) and CPU time (median; user + system of every thread of this
 * process) of a list of runs, ms. On a shared machine the wall time swings with other
 * processes; the CPU time counts only the work done, so its ratios are the steadier ones.
 */
const summary = (runs) => ({
  minMs: Math.min(...runs.map((run) => run.wallMs)),
  medianMs: median(runs.map((run) => run.wallMs)),
  cpuMedianMs: median(runs.map((run) => run.cpuMs)),
});

/** Times the actions in interleaved rounds after two warm-ups each: per action, its runs. */
async function interleaved(actions, rounds) {
  const times = Object.fromEntries(Object.keys(actions).map((key) => [key, []]));
  for (const action of Object.values(actions)) {
    await action();
    await action();
  }
  for (let round = 0; round < rounds; round++) {
    for (const [key, action] of Object.entries(actions)) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      await action();
      const wallMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      times[key].push({ wallMs, cpuMs: (used.user + used.system) / 1000 });
    }
  }
  return times;
}

// 1. Session options, one by one, each paired with the default in the same rounds.
const baseline = await createVariant(VARIANTS.default);
const optionRows = [];
for (const name of chosen) {
  const variant = name === 'default' ? baseline : await createVariant(VARIANTS[name]);
  const times = await interleaved(
    {
      defaultFull: baseline.full,
      defaultChain: baseline.chain,
      ...(name === 'default' ? {} : { full: variant.full, chain: variant.chain }),
    },
    ROUNDS,
  );
  const full = summary(times.full ?? times.defaultFull);
  const chain = summary(times.chain ?? times.defaultChain);
  const defaultFull = summary(times.defaultFull);
  const defaultChain = summary(times.defaultChain);
  optionRows.push({
    variant: name,
    full,
    chain,
    chainOverFull: {
      min: chain.minMs / full.minMs,
      median: chain.medianMs / full.medianMs,
      cpu: chain.cpuMedianMs / full.cpuMedianMs,
    },
    // Against the default full model: what a user of this variant pays against the best baseline.
    chainOverDefaultFull: {
      min: chain.minMs / defaultFull.minMs,
      median: chain.medianMs / defaultFull.medianMs,
      cpu: chain.cpuMedianMs / defaultFull.cpuMedianMs,
    },
    defaultChainOverFull: {
      min: defaultChain.minMs / defaultFull.minMs,
      median: defaultChain.medianMs / defaultFull.medianMs,
      cpu: defaultChain.cpuMedianMs / defaultFull.cpuMedianMs,
    },
  });
  if (name !== 'default') await variant.release();
}

// 2. Breakdown from onnxruntime's profiler (default options).
const profileFolder = mkdtempSync(join(tmpdir(), 'pcee-boundary-'));
const profiled = (prefix) => ({
  ...DEFAULT_OPTIONS,
  enableProfiling: true,
  profileFilePrefix: join(profileFolder, prefix),
});
const profiledFull = await ort.InferenceSession.create(fullBytes, profiled('full'));
const profiledStages = [];
for (const [index, bytes] of stageBytes.entries()) {
  profiledStages.push(await ort.InferenceSession.create(bytes, profiled(`stage${index}`)));
}
const wall = { full: [], chain: [], stages: profiledStages.map(() => []) };
const featureBytes = [];
for (let round = 0; round < PROFILE_ROUNDS + 2; round++) {
  let started = performance.now();
  await profiledFull.run(fullFeeds);
  if (round >= 2) wall.full.push(performance.now() - started);
  started = performance.now();
  const carried = { ...inputTensors };
  for (const [index, session] of profiledStages.entries()) {
    const stageStarted = performance.now();
    const outputs = await runRawStage(session, index, carried);
    if (round >= 2) wall.stages[index].push(performance.now() - stageStarted);
    featureBytes[index] = producedBytes(index, outputs);
  }
  if (round >= 2) wall.chain.push(performance.now() - started);
}
for (const session of [profiledFull, ...profiledStages]) session.endProfiling();
/** Per run: onnxruntime's model_run time and kernel time by operator type, ms. */
function readProfile(prefix) {
  const file = readdirSync(profileFolder).find((name) => name.startsWith(`${prefix}_`));
  const events = JSON.parse(readFileSync(join(profileFolder, file), 'utf8'));
  const runs = events.filter((event) => event.cat === 'Session' && event.name === 'model_run');
  const kernels = events.filter((event) => event.cat === 'Node' && event.name.endsWith('_kernel_time'));
  return runs.slice(2).map((run) => {
    const byOperator = {};
    for (const kernel of kernels) {
      if (kernel.ts < run.ts || kernel.ts > run.ts + run.dur) continue;
      byOperator[kernel.args.op_name] = (byOperator[kernel.args.op_name] ?? 0) + kernel.dur / 1000;
    }
    return { runMs: run.dur / 1000, byOperator };
  });
}
const fullProfile = readProfile('full');
const stageProfiles = profiledStages.map((_, index) => readProfile(`stage${index}`));
rmSync(profileFolder, { recursive: true, force: true });
const runsOf = (profile) => profile.length;
const medianOf = median;
const operators = new Set([
  ...fullProfile.flatMap((run) => Object.keys(run.byOperator)),
  ...stageProfiles.flatMap((profile) => profile.flatMap((run) => Object.keys(run.byOperator))),
]);
const chainRun = (pick) =>
  medianOf(
    Array.from({ length: runsOf(fullProfile) }, (_, run) =>
      stageProfiles.reduce((sum, profile) => sum + (pick(profile[run]) ?? 0), 0),
    ),
  );
const fullRun = (pick) => medianOf(fullProfile.map((run) => pick(run) ?? 0));
const kernelSum = (run) => Object.values(run.byOperator).reduce((sum, ms) => sum + ms, 0);
const breakdown = [
  ...[...operators].map((operator) => ({
    part: `kernels: ${operator}`,
    fullMs: fullRun((run) => run.byOperator[operator]),
    chainMs: chainRun((run) => run.byOperator[operator]),
  })),
  {
    part: 'onnxruntime per-run overhead (model_run − kernels)',
    fullMs: fullRun((run) => run.runMs - kernelSum(run)),
    chainMs: chainRun((run) => run.runMs - kernelSum(run)),
  },
  {
    part: 'outside onnxruntime (binding copy-out, JS)',
    fullMs: medianOf(wall.full) - fullRun((run) => run.runMs),
    chainMs: medianOf(wall.chain) - chainRun((run) => run.runMs),
  },
  { part: 'wall (median)', fullMs: medianOf(wall.full), chainMs: medianOf(wall.chain) },
].map((row) => ({ ...row, extraMs: row.chainMs - row.fullMs }));

// Per stage: what its boundary costs — the layout reorders onnxruntime adds at the stage's
// input and output, its run overhead, and the time outside onnxruntime (the binding copies
// every output into a new ArrayBuffer), next to the size of the tensors it hands on (all of
// them: "features" is the version 1 name; a multi-scale stage produces several).
const perStage = stageProfiles.map((profile, index) => {
  const pick = (choose) => medianOf(profile.map(choose));
  const runMs = pick((run) => run.runMs);
  return {
    stage: index,
    wallMs: medianOf(wall.stages[index]),
    runMs,
    reorderMs: pick((run) => (run.byOperator.ReorderInput ?? 0) + (run.byOperator.ReorderOutput ?? 0)),
    runOverheadMs: pick((run) => run.runMs - kernelSum(run)),
    outsideMs: medianOf(wall.stages[index]) - runMs,
    featuresMB: featureBytes[index] / 2 ** 20,
  };
});

// 3. The same chain through @pcee/runtime-node (checks, wrappers), against raw onnxruntime.
const modelPackage = await openModelPackage(folder);
const staged = await nodeRuntime.load(modelPackage, { device: 'cpu', threads: THREADS });
// The model's inputs by name, as the runner passes them; each stage's outputs are carried on
// (runStage ignores entries a stage does not consume).
const stageInputs = modelInputs;
const pceeTimes = await interleaved(
  {
    full: baseline.full,
    raw: baseline.chain,
    pcee: async () => {
      let carried = stageInputs;
      for (let stage = 0; stage < staged.stages; stage++) {
        carried = { ...carried, ...(await staged.runStage(stage, carried)).tensors };
      }
    },
  },
  ROUNDS,
);
await staged.dispose();
await baseline.release();
const wrapper = {
  full: summary(pceeTimes.full),
  rawChain: summary(pceeTimes.raw),
  pceeChain: summary(pceeTimes.pcee),
};

const ms = (value) => value.toFixed(2);
const ratio = (value) => `${value.toFixed(3)}×`;
printTable(
  `${values.model}, CPU, batch ${BATCH}, ${THREADS} intra-op threads; stage by stage with no exit vs full.onnx; ${ROUNDS} interleaved rounds`,
  [
    'variant',
    'full ms (min/med/cpu)',
    'stages ms (min/med/cpu)',
    'stages/full (min/med/cpu)',
    'stages/default full (cpu)',
    'default stages/full, same rounds (cpu)',
  ],
  optionRows.map((row) => [
    row.variant,
    `${ms(row.full.minMs)}/${ms(row.full.medianMs)}/${ms(row.full.cpuMedianMs)}`,
    `${ms(row.chain.minMs)}/${ms(row.chain.medianMs)}/${ms(row.chain.cpuMedianMs)}`,
    `${ratio(row.chainOverFull.min)}/${ratio(row.chainOverFull.median)}/${ratio(row.chainOverFull.cpu)}`,
    ratio(row.chainOverDefaultFull.cpu),
    ratio(row.defaultChainOverFull.cpu),
  ]),
);
printTable(
  `where the extra time goes (default options, onnxruntime profiler, median of ${PROFILE_ROUNDS} runs, ms)`,
  ['part', 'full', 'stages', 'extra'],
  breakdown.map((row) => [row.part, ms(row.fullMs), ms(row.chainMs), ms(row.extraMs)]),
);
printTable(
  'per stage (default options, median, ms)',
  ['stage', 'wall', 'onnxruntime run', 'reorders', 'run overhead', 'outside onnxruntime', 'features out MB'],
  perStage.map((row) => [
    row.stage,
    ms(row.wallMs),
    ms(row.runMs),
    ms(row.reorderMs),
    ms(row.runOverheadMs),
    ms(row.outsideMs),
    row.featuresMB.toFixed(2),
  ]),
);
printTable(
  'through @pcee/runtime-node runStage (default options)',
  ['path', 'min ms', 'median ms', 'cpu ms', 'over full (med/cpu)'],
  [
    ['full.onnx', wrapper.full],
    ['stages, raw onnxruntime', wrapper.rawChain],
    ['stages, PCEE runStage', wrapper.pceeChain],
  ].map(([path, row]) => [
    path,
    ms(row.minMs),
    ms(row.medianMs),
    ms(row.cpuMedianMs),
    `${ratio(row.medianMs / wrapper.full.medianMs)}/${ratio(row.cpuMedianMs / wrapper.full.cpuMedianMs)}`,
  ]),
);
printJson('boundary', {
  model: values.model,
  batch: BATCH,
  threads: THREADS,
  rounds: ROUNDS,
  onnxruntime: ort.env.versions?.node ?? ort.env.versions?.common,
  options: optionRows,
  breakdown,
  perStage,
  wrapper,
});
