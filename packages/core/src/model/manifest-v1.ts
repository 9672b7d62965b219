import { z } from 'zod';
import {
  fileNameSchema,
  manifestCommonSchema,
  positiveNumber,
  sha256Schema,
  stageCommonSchema,
} from './manifest-schema-parts.js';
import type { ModelManifest, StageSpec } from './model-manifest-types.js';

/**
 * Version 1 of `model.json`: one float32 input and one float32 `features` tensor from each
 * stage to the next. Still read, and converted to the version 2 shape in memory.
 */
export const manifestV1Schema = manifestCommonSchema.extend({
  version: z.literal(1),
  input: z.object({
    name: z.string().min(1),
    shape: z.array(z.number().int()).min(1),
    dtype: z.literal('float32'),
    rawDtype: z.string(),
    preprocessing: z.object({
      scale: positiveNumber,
      mean: z.array(z.number()),
      std: z.array(positiveNumber),
    }),
  }),
  stages: z
    .array(
      stageCommonSchema.extend({
        input: z.string().min(1),
        outputs: z.object({ features: z.string().min(1).optional(), logits: z.string().min(1) }),
      }),
    )
    .min(1),
  full: z
    .object({
      file: fileNameSchema,
      sha256: sha256Schema,
      input: z.string().min(1),
      output: z.string().min(1),
      parameters: z.number().int().nonnegative(),
    })
    .optional(),
});

/** A parsed version 1 manifest. */
export type ManifestV1 = z.infer<typeof manifestV1Schema>;

/**
 * The version 2 shape of a version 1 manifest. Stage `i`'s features become the tensor
 * `features@i+1` (the graphs name them `features`/`features_out`, so package names and ONNX
 * names differ; the bindings record both). A stage missing its features output leaves the
 * next stage's input unproduced, which the v2 consistency check reports.
 */
export function manifestFromV1(v1: ManifestV1): ModelManifest {
  const { input } = v1;
  const last = v1.stages.length - 1;
  const stages: StageSpec[] = v1.stages.map((stage, index) => ({
    index: stage.index,
    file: stage.file,
    sha256: stage.sha256,
    consumes: [{ name: index === 0 ? input.name : `features@${index}`, onnxName: stage.input }],
    produces:
      stage.outputs.features && index < last
        ? [{ name: `features@${index + 1}`, onnxName: stage.outputs.features }]
        : [],
    logits: stage.outputs.logits,
    flops: stage.flops,
    parameters: stage.parameters,
  }));
  return {
    format: 'pcee-model',
    version: 2,
    id: v1.id,
    ...(v1.description === undefined ? {} : { description: v1.description }),
    inputs: [
      {
        name: input.name,
        dtype: 'float32',
        shape: input.shape.map((dimension, axis) => (axis === 0 ? 'batch' : dimension)),
        raw: { dtype: input.rawDtype, preprocessing: input.preprocessing },
      },
    ],
    classes: v1.classes,
    stages,
    exitCosts: v1.exitCosts,
    fullModelCost: v1.fullModelCost,
    costUnit: 'flops',
    ...(v1.full
      ? {
          full: {
            file: v1.full.file,
            sha256: v1.full.sha256,
            inputs: [{ name: input.name, onnxName: v1.full.input }],
            output: v1.full.output,
            parameters: v1.full.parameters,
          },
        }
      : {}),
    parameters: v1.parameters,
    ...(v1.training ? { training: v1.training } : {}),
  };
}
