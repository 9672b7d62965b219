import {
  type ExitCosts,
  type FullModel,
  type LoadOptions,
  type ModelPackage,
  measuredBatchCosts,
  measuredCosts,
  measureStageLatenciesAtBatches,
  type Runtime,
} from '@pcee/core';
import { syntheticInputs } from './synthetic-inputs.js';

/** How `measureModelCosts` measures (what `pcee calibrate --cost-unit ms` asks for). */
export interface CostMeasureOptions {
  /** Device, threads, … of the load (as the model will run). */
  readonly load: LoadOptions;
  /** Intra-op threads asked for, recorded with the measurement (null: the runtime picked). */
  readonly threads?: number;
  /**
   * Samples per timed batch: one size gives per-sample costs at that size; two or more also
   * fit each stage's cost as `fixed + b · perSample` (`costs.batchModel`), the per-exit costs
   * then being those of the largest.
   */
  readonly batches: readonly number[];
  /** Timed rounds; each cost is a median over them. */
  readonly repeats: number;
  /** Loads the package's `full.onnx` (a runtime-specific extra); without it the full model is not timed. */
  readonly loadFull?: (modelPackage: ModelPackage, load: LoadOptions) => Promise<FullModel>;
  /** The runtime's version and the host's CPU model, for the measurement record. */
  readonly runtimeVersion: string;
  readonly host: string | null;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Measures a model's per-exit costs in ms per sample on a runtime and device: every stage,
 * stage by stage on one batch with no exit, and `full.onnx` when the package has it (and
 * `loadFull` is given), in the same rounds, at each batch size in turn within every round (see
 * `measureStageLatenciesAtBatches` in @pcee/core for why this way and what compaction
 * changes). The inputs are synthetic (see `syntheticInputs`): the time of dense convolutions
 * and transformer blocks does not depend on the values.
 */
export async function measureModelCosts(
  runtime: Runtime,
  modelPackage: ModelPackage,
  options: CostMeasureOptions,
): Promise<ExitCosts> {
  const { manifest } = modelPackage;
  const { load } = options;
  const batches = [...new Set(options.batches)].sort((a, b) => a - b);
  const inputs = batches.map((batch) => syntheticInputs(manifest, batch));
  const model = await runtime.load(modelPackage, load);
  let full: FullModel | undefined;
  try {
    if (manifest.full && options.loadFull)
      full = await options.loadFull(modelPackage, { ...load, device: model.device });
    const latencies = await measureStageLatenciesAtBatches(model, inputs, {
      repeats: options.repeats,
      full,
      onProgress: options.onProgress,
    });
    const headShares = manifest.stages.map(({ flops }) => flops.head / (flops.backbone + flops.head || 1));
    const setting = {
      device: model.device,
      threads: options.threads ?? null,
      runtime: runtime.name,
      runtimeVersion: options.runtimeVersion,
      host: options.host,
    };
    return latencies.length === 1
      ? measuredCosts(latencies[0]!, setting, headShares)
      : measuredBatchCosts(latencies, setting, headShares);
  } finally {
    await Promise.all([model.dispose(), full?.dispose()]);
  }
}
