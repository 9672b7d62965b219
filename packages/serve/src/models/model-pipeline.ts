import {
  carryTensors,
  concatRows,
  type FullModel,
  type FusionPlan,
  gatherTensorMap,
  type ModelManifest,
  preprocessModelInputs,
  type StagedModel,
  type StageTensor,
  sliceTensorMap,
  type Tensor,
  type TensorMap,
  tensorLiveness,
} from '@pcee/core';
import type { StagePipeline } from '../scheduler/stage-pipeline.js';
import type { ServedInputSpec } from './served-model-info.js';

/**
 * The adapter between the server and `@pcee/core`'s runtime contract (model format v2), the
 * one file that knows it: named tensors of any dtype, `runStage(index, TensorMap) →
 * {logits, tensors}`, and the liveness of each tensor between stages.
 */

/** What one stage hands to the next for a batch (and what stage 0 takes): the live tensors by name. */
export type CarriedBatch = TensorMap;

/** The model's inputs as the protocol shows them: batch and symbolic dimensions as -1. */
export function servedInputs(manifest: ModelManifest): ServedInputSpec[] {
  return manifest.inputs.map((input) => ({
    name: input.name,
    dtype: input.dtype,
    rawDtype: input.raw?.dtype as ServedInputSpec['rawDtype'],
    shape: input.shape.map((dimension, axis) =>
      axis === 0 || typeof dimension !== 'number' || dimension < 0 ? -1 : dimension,
    ),
  }));
}

/**
 * Request tensors (as sent) → what stage 0 takes: raw values (an input's `raw` dtype) are
 * preprocessed per the manifest; values in the model's own dtype are taken as already
 * preprocessed. Only the tensors some stage consumes are kept.
 *
 * @throws InvalidInputError for data the manifest's shapes or dtypes refuse.
 */
export function prepareInputs(
  manifest: ModelManifest,
  inputs: Readonly<Record<string, Tensor>>,
): CarriedBatch {
  const prepared = preprocessModelInputs(manifest, new Map(Object.entries(inputs)), {
    acceptPreprocessed: true,
  });
  const live = tensorLiveness(manifest)[0]!;
  const carried: Record<string, StageTensor> = {};
  for (const name of live) carried[name] = prepared[name]!;
  return carried;
}

/**
 * The staged model as a scheduler pipeline; only live tensors are carried on (the engine's
 * `carryTensors`). Without a plan stage `s` is exit `s`; with one (a fused model from the
 * engine's `FusedRunner`), stage `s` runs the original stages `plan.groups[s]` as one graph and
 * reports exit `plan.liveExits[s]`.
 */
export function stagedPipeline(model: StagedModel, plan?: FusionPlan): StagePipeline<CarriedBatch> {
  const live = tensorLiveness(model.manifest);
  const last = model.stages - 1;
  return {
    ...rowOperations,
    stages: model.stages,
    exitOfStage: plan ? plan.liveExits : Array.from({ length: model.stages }, (_, stage) => stage),
    classes: model.manifest.classes.length,
    run: async (stage, input) => {
      const output = await model.runStage(stage, input);
      if (stage === last) return { logits: output.logits.data };
      const next = carryTensors(model.manifest, stage, input, output.tensors, live[stage + 1]!);
      return { logits: output.logits.data, next };
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
  rows: (batch: CarriedBatch) => Object.values(batch)[0]!.shape[0]!,
  slice: (batch: CarriedBatch, from: number, to: number) => sliceTensorMap(batch, from, to),
  gather: (batch: CarriedBatch, rows: Int32Array, count: number) => gatherTensorMap(batch, rows, count),
  concat: (batches: readonly CarriedBatch[]): CarriedBatch => {
    if (batches.length === 1) return batches[0]!;
    const joined: Record<string, StageTensor> = {};
    for (const name of Object.keys(batches[0]!))
      joined[name] = concatRows(batches.map((batch) => batch[name]!));
    return joined;
  },
  shapeKey: (batch: CarriedBatch) =>
    Object.entries(batch)
      .map(([name, tensor]) => `${name}:${tensor.dtype}[${tensor.shape.slice(1).join(',')}]`)
      .join(';'),
};
