// The browser benchmark page: early exit vs full.onnx throughput on one device, measured in
// the page, through `@pcee/runtime-web/wasm`. Driven by browser.bench.mjs.
import {
  batchSizeOf,
  calibrate,
  chooseExitDrops,
  compilePolicy,
  manifestCosts,
  measuredExitOverheads,
  planFusion,
  predictWithFullModel,
  preprocessModelInputs,
  readNpz,
  readTraces,
  runEarlyExit,
  scoreExits,
  sliceTensorMap,
  type ThresholdPolicyName,
} from '@pcee/core';
import { FusedRunner, measureExitOverhead } from '@pcee/engine';
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
  /** Fused: the exits δ never takes dropped, the stages around them one graph. */
  readonly fusedPerSecond: number;
  readonly fusedSpeedup: number;
  readonly liveExits: readonly number[];
  /** Fused further: also the live exits that save less than their measured overhead. */
  readonly fusedFurtherPerSecond: number;
  readonly fusedFurtherSpeedup: number;
  readonly fusedFurtherAccuracy: number;
  readonly liveExitsFurther: readonly number[];
  /** One live exit's measured overhead, ms per sample. */
  readonly exitOverheadMs: number;
  /** Samples whose exit and prediction differ between fused and unfused (must be 0). */
  readonly fusedMismatches: number;
}

const runtime = createWebRuntime({ wasmPaths: '/ort/' });

async function runBenchmark(
  requested: BenchConfig,
): Promise<{ rows: BenchRow[]; hardwareConcurrency: number; samples: number }> {
  const bytes = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());
  const modelPackage = await openModelPackageFromUrl(`/models/${requested.model}/`);
  const { manifest } = modelPackage;
  const data = readNpz(await bytes('/data/fashion-mnist-test.npz'));
  const labels = data.get('labels')!.data as ArrayLike<number | bigint>;
  // Every model input by name (the .npz's `x` for a one-input model), the first `samples` rows.
  const all = preprocessModelInputs(manifest, data);
  const config = { ...requested, samples: Math.min(requested.samples, batchSizeOf(all)) };
  const inputs = sliceTensorMap(all, 0, config.samples);
  const validation = readTraces(await bytes(`/models/${config.model}/val.npz`), 'val.npz');
  const profile = calibrate(validation);
  const policy = compilePolicy(profile, config.policy, config.delta);
  const costs = manifestCosts(manifest);
  const validationScores = scoreExits(validation, profile.confidence);
  const runner = new FusedRunner(runtime, modelPackage, { device: 'wasm' });
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
    const start = performance.now();
    const prediction = await predictWithFullModel(full.run, inputs, batchSize);
    return { seconds: (performance.now() - start) / 1000, prediction };
  };

  const fused = async (batchSize: number, alsoDrop: readonly number[]) => {
    const start = performance.now();
    const result = await runner.run(inputs, {
      policy,
      confidence: profile.confidence,
      costs,
      batchSize,
      alsoDrop,
    });
    return { seconds: (performance.now() - start) / 1000, prediction: result.prediction, exit: result.exit };
  };

  const rows: BenchRow[] = [];
  for (const batchSize of config.batchSizes) {
    // Exits to drop further: weighed on the validation traces against the overhead measured here.
    const measurement = await measureExitOverhead(runtime, modelPackage, inputs, {
      batch: batchSize,
      load: { device: 'wasm' },
    });
    const weighed = measuredExitOverheads(costs, manifest, measurement);
    const { drop } = chooseExitDrops(validationScores, policy, weighed.costs, {
      overheads: weighed.overheads,
    });
    await earlyExit(batchSize); // warm-up: first runs allocate kernels and arenas
    await fullModel(batchSize);
    await fused(batchSize, []);
    await fused(batchSize, drop);
    const earlyTimes: number[] = [];
    const fullTimes: number[] = [];
    const fusedTimes: number[] = [];
    const furtherTimes: number[] = [];
    let last: Awaited<ReturnType<typeof earlyExit>> | undefined;
    let lastFull: Awaited<ReturnType<typeof fullModel>> | undefined;
    let lastFused: Awaited<ReturnType<typeof fused>> | undefined;
    let lastFurther: Awaited<ReturnType<typeof fused>> | undefined;
    // Alternate the variants so drift (thermal, other load) hits all alike; report medians.
    for (let round = 0; round < config.rounds; round++) {
      last = await earlyExit(batchSize);
      earlyTimes.push(last.seconds);
      lastFull = await fullModel(batchSize);
      fullTimes.push(lastFull.seconds);
      lastFused = await fused(batchSize, []);
      fusedTimes.push(lastFused.seconds);
      lastFurther = await fused(batchSize, drop);
      furtherTimes.push(lastFurther.seconds);
    }
    const earlyExitPerSecond = config.samples / median(earlyTimes);
    const fullPerSecond = config.samples / median(fullTimes);
    const fusedPerSecond = config.samples / median(fusedTimes);
    const fusedFurtherPerSecond = config.samples / median(furtherTimes);
    let fusedMismatches = 0;
    for (let n = 0; n < config.samples; n++) {
      if (lastFused!.exit[n] !== last!.exit[n] || lastFused!.prediction[n] !== last!.prediction[n])
        fusedMismatches++;
    }
    rows.push({
      batchSize,
      earlyExitPerSecond,
      fullPerSecond,
      speedup: earlyExitPerSecond / fullPerSecond,
      earlyExitAccuracy: accuracy(last!.prediction),
      fullAccuracy: accuracy(lastFull!.prediction),
      meanExit: last!.exit.reduce((sum, exit) => sum + exit, 0) / config.samples,
      fusedPerSecond,
      fusedSpeedup: fusedPerSecond / fullPerSecond,
      liveExits: planFusion(policy).liveExits,
      fusedFurtherPerSecond,
      fusedFurtherSpeedup: fusedFurtherPerSecond / fullPerSecond,
      fusedFurtherAccuracy: accuracy(lastFurther!.prediction),
      liveExitsFurther: planFusion(policy, drop).liveExits,
      exitOverheadMs: measurement.perExitMs,
      fusedMismatches,
    });
  }
  await staged.dispose();
  await full.dispose();
  await runner.dispose();
  return { rows, hardwareConcurrency: navigator.hardwareConcurrency, samples: config.samples };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

(globalThis as unknown as { runBenchmark: typeof runBenchmark }).runBenchmark = runBenchmark;
