import { type ModelPackage, parseManifest, type StageTensor, sha256Hex, type TensorMap } from '@pcee/core';
import { indexLimits, type ModelProto, partitionCosts, randomInputs, writeModel } from '../index.js';
import { CLASSES } from '../testing/test-models.js';
import { probeAndPartition } from './split-helpers.js';

/**
 * A version 2 package, in memory, of a multi-exit test model split at its exit candidates
 * (what `pcee split` writes, without `full.onnx`), with random inputs of batch `batch`.
 */
export async function splitPackage(
  model: ModelProto,
  batch = 5,
): Promise<{ modelPackage: ModelPackage; inputs: TensorMap }> {
  const { partition, probe } = await probeAndPartition(model);
  const costs = partitionCosts(partition, probe.shapes);
  const files = new Map<string, Uint8Array>();
  const stages = partition.stages.map((stage, index) => {
    const bytes = writeModel(stage.model);
    files.set(`stage-${index}.onnx`, bytes);
    return {
      index,
      file: `stage-${index}.onnx`,
      sha256: sha256Hex(bytes),
      consumes: stage.consumes,
      produces: stage.produces,
      logits: stage.logits,
      flops: { backbone: costs.stages[index]!.backbone, head: costs.stages[index]!.head },
      parameters: costs.stages[index]!.parameters,
    };
  });
  const id = model.graph!.name;
  const manifest = parseManifest(
    JSON.stringify({
      format: 'pcee-model',
      version: 2,
      id,
      inputs: probe.inputs.filter((input) => partition.inputs.includes(input.name)),
      classes: Array.from({ length: CLASSES }, (_, k) => `class ${k}`),
      stages,
      tensors: [...new Set(partition.stages.flatMap((stage) => stage.produces))].map((name) => ({
        name,
        ...partition.types.get(name)!,
      })),
      exitCosts: costs.exitCosts,
      fullModelCost: costs.fullModelCost,
      costUnit: 'flops',
      parameters: costs.parameters,
    }),
    `${id}/model.json`,
  );
  const random = randomInputs(probe.inputs, { ...probe.symbols[0], batch }, indexLimits(model), 5);
  const inputs: Record<string, StageTensor> = {};
  for (const [name, tensor] of random) {
    inputs[name] = { dtype: tensor.dtype, data: tensor.data, shape: tensor.shape } as StageTensor;
  }
  return {
    modelPackage: {
      manifest,
      location: `memory:${id}`,
      readFile: async (name) => files.get(name)!,
    },
    inputs,
  };
}
