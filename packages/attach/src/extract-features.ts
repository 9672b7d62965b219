import { sliceBatch, type Tensor } from '@pcee/core';
import { type ExitFeatures, featureModel, type ModelProto, type TensorTypes, writeModel } from '@pcee/onnx';
import { createCpuSession, runSession } from '@pcee/runtime-node';

/** Options of `extractFeatures`. */
export interface ExtractFeaturesOptions {
  /** Samples per onnxruntime run (default 256): memory stays at one batch of activations. */
  readonly batch?: number;
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  readonly threads?: number;
  /** Called after every batch with samples done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * The pooled features of every exit for all samples of `inputs` (one tensor per model input,
 * the batch first): `features[k]` is float32 `[N, widths[k]]`, row-major. The model runs
 * pruned to the exits' tensors with their pooling nodes (see `featureModel`), batch by batch,
 * and only the pooled rows are kept, so memory is the features plus one batch of activations.
 */
export async function extractFeatures(
  model: ModelProto,
  exits: readonly ExitFeatures[],
  types: TensorTypes,
  inputs: ReadonlyMap<string, Tensor>,
  widths: readonly number[],
  options: ExtractFeaturesOptions = {},
): Promise<Float32Array[]> {
  const total = [...inputs.values()][0]?.shape[0] ?? 0;
  const batch = options.batch ?? 256;
  const features = widths.map((width) => new Float32Array(total * width));
  const session = await createCpuSession(writeModel(featureModel(model, exits, types), 'feature model'), {
    threads: options.threads,
  });
  try {
    for (let start = 0; start < total; start += batch) {
      const end = Math.min(total, start + batch);
      const feeds = new Map<string, Tensor>();
      for (const [name, tensor] of inputs) feeds.set(name, sliceBatch(tensor, start, end));
      const outputs = await runSession(session, feeds);
      exits.forEach((_, k) => {
        const values = outputs.get(`features_${k}`)!.data as Float32Array;
        features[k]!.set(values, start * widths[k]!);
      });
      options.onProgress?.(end, total);
    }
  } finally {
    await session.release();
  }
  return features;
}
