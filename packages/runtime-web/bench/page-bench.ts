// The browser benchmark page: early exit vs full.onnx throughput on one device, measured in
// the page, through `@pcee/runtime-web/wasm`. Driven by browser.bench.mjs.
import {
  calibrate,
  compilePolicy,
  manifestCosts,
  preprocessInput,
  readNpz,
  readTraces,
  runEarlyExit,
  sliceRows,
  type ThresholdPolicyName,
} from '@pcee/core';
import { createWebRuntime, openModelPackageFromUrl } from '../src/wasm.js';

interface BenchConfig {
  readonly model: string;
  readonly policy: ThresholdPolicyName;
  readonly delta: number;
  readonly samples: number;
  readonly batchSizes: readonly number[];
  readonly rounds: number;
}

interface BenchRow {
  readonly batchSize: number;
  readonly earlyExitPerSecond: number;
  readonly fullPerSecond: number;
  readonly speedup: number;
  readonly earlyExitAccuracy: number;
  readonly fullAccuracy: number;
  readonly meanExit: number;
}

const runtime = createWebRuntime({ wasmPaths: '/ort/' });

async function runBenchmark(config: BenchConfig): Promise<{ rows: BenchRow[]; hardwareConcurrency: number }> {
  const bytes = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());
  const modelPackage = await openModelPackageFromUrl(`/models/${config.model}/`);
  const { manifest } = modelPackage;
  const data = readNpz(await bytes('/data/fashion-mnist-test.npz'));
  const raw = data.get('x')!;
  const labels = data.get('labels')!.data as ArrayLike<number | bigint>;
  const perSample = raw.data.length / raw.shape[0]!;
  const inputs = preprocessInput(manifest.inputs[0]!, {
    ...raw,
    shape: [config.samples, ...raw.shape.slice(1)],
    data: raw.data.subarray(0, config.samples * perSample),
  } as typeof raw);
  const profile = calibrate(readTraces(await bytes(`/models/${config.model}/val.npz`), 'val.npz'));
  const policy = compilePolicy(profile, config.policy, config.delta);
  const costs = manifestCosts(manifest);
  const staged = await runtime.load(modelPackage, { device: 'wasm' });
  const full = await runtime.loadFullModel(modelPackage, { device: 'wasm' });
  const accuracy = (predictions: ArrayLike<number>) => {
    let right = 0;
    for (let n = 0; n < config.samples; n++) right += Number(predictions[n]) === Number(labels[n]) ? 1 : 0;
    return right / config.samples;
  };

  const earlyExit = async (batchSize: number) => {
    const start = performance.now();
    const result = await runEarlyExit(staged, inputs, {
      policy,
      confidence: profile.confidence,
      costs,
      batchSize,
    });
    return { seconds: (performance.now() - start) / 1000, prediction: result.prediction, exit: result.exit };
  };
  const fullModel = async (batchSize: number) => {
    const prediction = new Int32Array(config.samples);
    const classes = manifest.classes.length;
    const start = performance.now();
    for (let from = 0; from < config.samples; from += batchSize) {
      const to = Math.min(from + batchSize, config.samples);
      const logits = await full.run(sliceRows(inputs, from, to));
      for (let row = 0; row < to - from; row++) {
        const slice = logits.data.subarray(row * classes, (row + 1) * classes);
        prediction[from + row] = slice.indexOf(Math.max(...slice));
      }
    }
    return { seconds: (performance.now() - start) / 1000, prediction };
  };

  const rows: BenchRow[] = [];
  for (const batchSize of config.batchSizes) {
    await earlyExit(batchSize); // warm-up: first runs allocate kernels and arenas
    await fullModel(batchSize);
    const earlyTimes: number[] = [];
    const fullTimes: number[] = [];
    let last: Awaited<ReturnType<typeof earlyExit>> | undefined;
    let lastFull: Awaited<ReturnType<typeof fullModel>> | undefined;
    // Alternate the two so drift (thermal, other load) hits both alike; report medians.
    for (let round = 0; round < config.rounds; round++) {
      last = await earlyExit(batchSize);
      earlyTimes.push(last.seconds);
      lastFull = await fullModel(batchSize);
      fullTimes.push(lastFull.seconds);
    }
    const earlyExitPerSecond = config.samples / median(earlyTimes);
    const fullPerSecond = config.samples / median(fullTimes);
    rows.push({
      batchSize,
      earlyExitPerSecond,
      fullPerSecond,
      speedup: earlyExitPerSecond / fullPerSecond,
      earlyExitAccuracy: accuracy(last!.prediction),
      fullAccuracy: accuracy(lastFull!.prediction),
      meanExit: last!.exit.reduce((sum, exit) => sum + exit, 0) / config.samples,
    });
  }
  await staged.dispose();
  await full.dispose();
  return { rows, hardwareConcurrency: navigator.hardwareConcurrency };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

(globalThis as unknown as { runBenchmark: typeof runBenchmark }).runBenchmark = runBenchmark;
