import { cpus } from 'node:os';
import {
  type ExitCosts,
  type FullModel,
  InvalidArgumentError,
  type ModelManifest,
  type ModelPackage,
  measuredCosts,
  measureStageLatencies,
  type StageTensor,
} from '@pcee/core';
import { loadFullModel, NODE_RUNTIME_NAME, nodeRuntime, nodeRuntimeVersion } from '@pcee/runtime-node';
import { loadOptions } from './model-options.js';

/** How `pcee calibrate --cost-unit ms` measures. */
export interface CostMeasureOptions {
  /** Device name or comma list (as `--device`). */
  readonly device: string;
  readonly threads?: number;
  /** Samples per timed batch. */
  readonly batch: number;
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
 * it, in the same rounds (see `measureStageLatencies` in @pcee/core for why this way and what
 * compaction changes). The input is synthetic: timing does not depend on the pixel values of
 * dense convolutions and transformer blocks.
 */
export async function measureModelCosts(
  modelPackage: ModelPackage,
  options: CostMeasureOptions,
): Promise<ExitCosts> {
  const { manifest } = modelPackage;
  const load = loadOptions({ device: options.device, threads: options.threads });
  const input = syntheticInput(manifest, options.batch);
  const model = await nodeRuntime.load(modelPackage, load);
  let full: FullModel | undefined;
  try {
    if (manifest.full) full = await loadFullModel(modelPackage, { ...load, device: model.device });
    const latencies = await measureStageLatencies(model, input, {
      repeats: options.repeats,
      full,
      onProgress: options.onProgress,
    });
    const headShares = manifest.stages.map(({ flops }) => flops.head / (flops.backbone + flops.head || 1));
    return measuredCosts(
      latencies,
      {
        device: model.device,
        threads: options.threads ?? null,
        runtime: NODE_RUNTIME_NAME,
        runtimeVersion: await nodeRuntimeVersion(),
        host: hostCpuModel(),
      },
      headShares,
    );
  } finally {
    await Promise.all([model.dispose(), full?.dispose()]);
  }
}

/**
 * A preprocessed stage-0 batch of the model's input shape with deterministic values in [−1, 1).
 *
 * @throws InvalidArgumentError when the input shape has a dimension other than the batch that
 *   is not a fixed size (it cannot be made up).
 */
export function syntheticInput(manifest: ModelManifest, batch: number): StageTensor {
  const sample = manifest.input.shape.slice(1);
  if (sample.some((dimension) => !Number.isInteger(dimension) || dimension < 1)) {
    throw new InvalidArgumentError(
      `model "${manifest.id}" takes input of shape [${manifest.input.shape.join(', ')}]; measuring costs needs every dimension but the batch fixed`,
    );
  }
  const dims = [batch, ...sample];
  const data = new Float32Array(dims.reduce((product, dimension) => product * dimension, 1));
  let state = 0x9e3779b9;
  for (let index = 0; index < data.length; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[index] = state / 2 ** 31 - 1;
  }
  return { data, dims };
}
