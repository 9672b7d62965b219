import {
  type FullModel,
  gatherRows,
  InvalidInputError,
  type ModelManifest,
  preprocessInputs,
  type StagedModel,
  type StageTensor,
  sliceRows,
  type Tensor,
} from '@pcee/core';
import type { StagePipeline } from '../scheduler/stage-pipeline.js';
import type { ServedInputSpec } from './served-model-info.js';

/**
 * The adapter between the server and `@pcee/core`'s runtime contract, the one file that
 * knows it. This is the version-1 contract: one float32 input, and one float32 `features`
 * tensor carried from stage to stage (`runStage(index, StageTensor) → {features, logits}`).
 */

/** What one stage hands to the next for a batch (and what stage 0 takes): one float32 tensor in v1. */
export type CarriedBatch = StageTensor;

/** The model's inputs as the protocol shows them. */
export function servedInputs(manifest: ModelManifest): ServedInputSpec[] {
  const { input } = manifest;
  return [
    {
      name: input.name,
      dtype: input.dtype,
      rawDtype: input.rawDtype as ServedInputSpec['rawDtype'],
      shape: input.shape.map((dimension) => (dimension < 0 ? -1 : dimension)),
    },
  ];
}

/**
 * Request tensors (as sent) → what stage 0 takes: raw values are preprocessed per the
 * manifest, float32 is taken as already preprocessed and only reshaped to the model's
 * per-sample shape.
 *
 * @throws InvalidInputError for data the manifest's preprocessing refuses.
 */
export function prepareInputs(
  manifest: ModelManifest,
  inputs: Readonly<Record<string, Tensor>>,
): CarriedBatch {
  const raw = inputs[manifest.input.name];
  if (!raw) throw new InvalidInputError(`input "${manifest.input.name}" is missing`);
  if (raw.dtype === manifest.input.rawDtype) return preprocessInputs(manifest.input, raw);
  if (raw.dtype !== 'float32' || !(raw.data instanceof Float32Array)) {
    throw new InvalidInputError(
      `input "${manifest.input.name}" must be ${manifest.input.rawDtype} or float32`,
    );
  }
  return { data: raw.data, dims: [raw.shape[0]!, ...manifest.input.shape.slice(1)] };
}

/** The staged model as a scheduler pipeline: stage `s` is exit `s`. */
export function stagedPipeline(model: StagedModel): StagePipeline<CarriedBatch> {
  return {
    ...rowOperations,
    stages: model.stages,
    exitOfStage: Array.from({ length: model.stages }, (_, stage) => stage),
    classes: model.manifest.classes.length,
    run: async (stage, input) => {
      const output = await model.runStage(stage, input);
      return { logits: output.logits.data, next: output.features };
    },
  };
}

/** `full.onnx` as a one-stage pipeline whose only stage reports the final exit L−1. */
export function fullModelPipeline(model: FullModel, manifest: ModelManifest): StagePipeline<CarriedBatch> {
  return {
    ...rowOperations,
    stages: 1,
    exitOfStage: [manifest.stages.length - 1],
    classes: manifest.classes.length,
    run: async (_stage, input) => ({ logits: (await model.run(input)).data }),
  };
}

const rowOperations = {
  rows: (batch: StageTensor) => batch.dims[0]!,
  slice: (batch: StageTensor, from: number, to: number) => sliceRows(batch, from, to),
  gather: (batch: StageTensor, rows: Int32Array, count: number) => gatherRows(batch, rows, count),
  concat: (batches: readonly StageTensor[]): StageTensor => {
    let rows = 0;
    let length = 0;
    for (const batch of batches) {
      rows += batch.dims[0]!;
      length += batch.data.length;
    }
    const data = new Float32Array(length);
    let offset = 0;
    for (const batch of batches) {
      data.set(batch.data, offset);
      offset += batch.data.length;
    }
    return { data, dims: [rows, ...batches[0]!.dims.slice(1)] };
  },
  shapeKey: (batch: StageTensor) => batch.dims.slice(1).join('x'),
};
