import {
  carryTensors,
  InvalidArgumentError,
  type LoadOptions,
  type ModelPackage,
  median,
  modelInputMap,
  now,
  type OverheadMeasurement,
  type Runtime,
  type StagedModel,
  type StageTensor,
  sliceTensorMap,
  type TensorMap,
  tensorLiveness,
} from '@pcee/core';
import { fuseModelPackage } from '@pcee/onnx';

/** Options of `measureExitOverhead`. */
export interface MeasureOverheadOptions {
  /** Samples per batch (default 64): overheads per sample shrink as batches grow. */
  readonly batch?: number;
  /** Timed rounds (one run of each) after the warm-up; medians count (default 15). */
  readonly repetitions?: number;
  /**
   * Untimed rounds first (default 5): onnxruntime-web's wasm backend runs its first few
   * calls of a fresh session several times slower, so one warm-up round is not enough.
   */
  readonly warmup?: number;
  /** Device, threads, … of the loads (use the ones you will run with). */
  readonly load?: LoadOptions;
}

/**
 * Measures what one live exit costs on this runtime and device: the model's stages run one
 * after another on one batch (no sample exits: every head and boundary is paid) against all
 * stages fused into one graph, alternating the two so that a busy machine slows both alike.
 * The result feeds `measuredExitOverheads`.
 *
 * @param inputs model inputs with at least `batch` samples (the first `batch` are used).
 * @throws InvalidArgumentError for fewer inputs than `batch`, or a model of one stage.
 */
export async function measureExitOverhead(
  runtime: Runtime,
  modelPackage: ModelPackage,
  inputs: TensorMap | StageTensor,
  options: MeasureOverheadOptions = {},
): Promise<OverheadMeasurement> {
  const batch = options.batch ?? 64;
  const repetitions = options.repetitions ?? 15;
  const warmup = options.warmup ?? 5;
  const stages = modelPackage.manifest.stages.length;
  if (stages < 2) {
    throw new InvalidArgumentError(`model "${modelPackage.manifest.id}" has one stage: no exit to measure`);
  }
  const all = Array.from({ length: stages }, (_, stage) => stage);
  const fusedPackage = await fuseModelPackage(modelPackage, { liveExits: [stages - 1], groups: [all] });
  const staged = await runtime.load(modelPackage, options.load);
  let fused: StagedModel | undefined;
  try {
    fused = await runtime.load(fusedPackage.modelPackage, options.load);
    const named = modelInputMap(staged, inputs);
    const available = Object.values(named)[0]!.shape[0]!;
    if (available < batch) {
      throw new InvalidArgumentError(
        `measuring exit overheads at batch ${batch} needs ${batch} samples, got ${available}; give more inputs or a smaller batch`,
      );
    }
    const first = sliceTensorMap(named, 0, batch);
    const stagedTimes: number[] = [];
    const fusedTimes: number[] = [];
    const differences: number[] = [];
    for (let round = 0; round < warmup + repetitions; round++) {
      const stagedMs = await timed(() => runAllStages(staged, first));
      const fusedMs = await timed(() => fused!.runStage(0, first));
      // Warm-up rounds (session caches, allocator, JIT, wasm threads) are not counted.
      if (round < warmup) continue;
      stagedTimes.push(stagedMs);
      fusedTimes.push(fusedMs);
      differences.push(stagedMs - fusedMs);
    }
    // The median of the paired differences: a disturbance from another process hits one run
    // of a round, and the median of the rounds leaves it out.
    const perExitMs = Math.max(0, median(differences)) / (stages - 1) / batch;
    return { batch, stagedMs: median(stagedTimes), fusedMs: median(fusedTimes), perExitMs };
  } finally {
    await Promise.allSettled([staged.dispose(), fused?.dispose()]);
  }
}

/** Every stage on the whole batch, carrying what later stages need: no exit. */
async function runAllStages(model: StagedModel, inputs: TensorMap): Promise<void> {
  const live = tensorLiveness(model.manifest);
  let carried: TensorMap = inputs;
  for (let stage = 0; stage < model.stages; stage++) {
    const output = await model.runStage(stage, carried);
    if (stage < model.stages - 1)
      carried = carryTensors(model.manifest, stage, carried, output.tensors, live[stage + 1]!);
  }
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = now();
  await action();
  return now() - started;
}
