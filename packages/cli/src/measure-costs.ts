import { cpus } from 'node:os';
import {
  allocateStageData,
  type ExitCosts,
  type FullModel,
  InvalidArgumentError,
  type ModelManifest,
  type ModelPackage,
  measuredBatchCosts,
  measuredCosts,
  measureStageLatenciesAtBatches,
  numberToFloat16Bits,
  type StageTensor,
  type TensorMap,
} from '@pcee/core';
import { loadFullModel, NODE_RUNTIME_NAME, nodeRuntime, nodeRuntimeVersion } from '@pcee/runtime-node';
import { loadOptions } from './model-options.js';

/** How `pcee calibrate --cost-unit ms` measures. */
export interface CostMeasureOptions {
  /** Device name or comma list (as `--device`). */
  readonly device: string;
  readonly threads?: number;
  /**
   * Samples per timed batch: one size gives per-sample costs at that size; two or more also
   * fit each stage's cost as `fixed + b · perSample` (`costs.batchModel`), the per-exit costs
   * then being those of the largest.
   */
  readonly batches: readonly number[];
  /** Timed rounds; each cost is a median over them. */
  readonly repeats: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** This machine's CPU model, for the measurement record (null when the OS does not say). */
export function hostCpuModel(): string | null {
  const model = cpus()[0]?.model?.replace(/\s+/g, ' ').trim();
  return model ? model : null;
}

/**
 * Measures a model's per-exit costs in ms per sample on a device through @pcee/runtime-node:
 * every stage, stage by stage on one batch with no exit, and `full.onnx` when the package has
 * it, in the same rounds, at each batch size in turn within every round (see
 * `measureStageLatenciesAtBatches` in @pcee/core for why this way and what compaction changes). The inputs are synthetic (see `syntheticInputs`): the time of dense
 * convolutions and transformer blocks does not depend on the values.
 */
export async function measureModelCosts(
  modelPackage: ModelPackage,
  options: CostMeasureOptions,
): Promise<ExitCosts> {
  const { manifest } = modelPackage;
  const load = loadOptions({ device: options.device, threads: options.threads });
  const batches = [...new Set(options.batches)].sort((a, b) => a - b);
  const inputs = batches.map((batch) => syntheticInputs(manifest, batch));
  const model = await nodeRuntime.load(modelPackage, load);
  let full: FullModel | undefined;
  try {
    if (manifest.full) full = await loadFullModel(modelPackage, { ...load, device: model.device });
    const latencies = await measureStageLatenciesAtBatches(model, inputs, {
      repeats: options.repeats,
      full,
      onProgress: options.onProgress,
    });
    const headShares = manifest.stages.map(({ flops }) => flops.head / (flops.backbone + flops.head || 1));
    const setting = {
      device: model.device,
      threads: options.threads ?? null,
      runtime: NODE_RUNTIME_NAME,
      runtimeVersion: await nodeRuntimeVersion(),
      host: hostCpuModel(),
    };
    return latencies.length === 1
      ? measuredCosts(latencies[0]!, setting, headShares)
      : measuredBatchCosts(latencies, setting, headShares);
  } finally {
    await Promise.all([model.dispose(), full?.dispose()]);
  }
}

/**
 * A batch of every model input with deterministic values: float inputs pseudo-random in
 * [−1, 1), integer and bool inputs 0 (a valid token id, token type and mask value).
 *
 * @throws InvalidArgumentError when an input has a dimension other than the batch that is
 *   not a fixed size (such as a sequence length): it cannot be made up.
 */
export function syntheticInputs(manifest: ModelManifest, batch: number): TensorMap {
  let state = 0x9e3779b9;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
  const entries = manifest.inputs.map((input): [string, StageTensor] => {
    const sample = input.shape.slice(1);
    if (
      sample.some(
        (dimension) => typeof dimension !== 'number' || !Number.isInteger(dimension) || dimension < 1,
      )
    ) {
      throw new InvalidArgumentError(
        `input "${input.name}" of model "${manifest.id}" has shape [${input.shape.join(', ')}]; measuring costs needs every dimension but the batch fixed`,
      );
    }
    const dims = [batch, ...(sample as number[])];
    const data = allocateStageData(
      input.dtype,
      dims.reduce((product, dimension) => product * dimension, 1),
    );
    if (data instanceof Float32Array || data instanceof Float64Array) {
      for (let index = 0; index < data.length; index++) data[index] = random();
    } else if (input.dtype === 'float16') {
      for (let index = 0; index < data.length; index++) data[index] = numberToFloat16Bits(random());
    }
    return [input.name, { dtype: input.dtype, data, dims }];
  });
  return Object.fromEntries(entries);
}
