import { type ModelPackage, parseManifest, type StageTensor, sha256Hex, type TensorMap } from '@pcee/core';
import {
  indexLimits,
  listExitCandidates,
  type ModelProto,
  partitionCosts,
  partitionGraph,
  probeModel,
  randomInputs,
  writeModel,
} from '@pcee/onnx';
import { CLASSES } from '@pcee/onnx/testing';
import { ortProbeRunner } from '@pcee/runtime-node';
import { buildManifestV2 } from '../manifest-v2.js';

/**
 * A version 2 package, in memory, of a multi-exit test model split at its exit candidates
 * (what `pcee split` writes, without `full.onnx`), with random inputs of batch `batch`.
 */
export async function splitPackage(
  model: ModelProto,
  batch = 5,
): Promise<{ modelPackage: ModelPackage; inputs: TensorMap }> {
  const probe = await probeModel(model, ortProbeRunner);
  const exits = listExitCandidates(model, probe.types).map((candidate) => candidate.name);
  const partition = partitionGraph(model, exits, { types: probe.types });
  const costs = partitionCosts(partition, probe.shapes);
  const files = new Map<string, Uint8Array>();
  const stageFiles = partition.stages.map((stage, index) => {
    const bytes = writeModel(stage.model);
    files.set(`stage-${index}.onnx`, bytes);
    return { file: `stage-${index}.onnx`, sha256: sha256Hex(bytes) };
  });
  const id = model.graph!.name;
  const { full: _, ...manifest } = buildManifestV2({
    id,
    inputs: probe.inputs,
    classes: Array.from({ length: CLASSES }, (_, k) => `class ${k}`),
    partition,
    costs,
    stageFiles,
    full: { file: 'full.onnx', sha256: '', inputs: [], output: '', parameters: 0 },
  });
  const random = randomInputs(probe.inputs, { ...probe.symbols[0], batch }, indexLimits(model), 5);
  const inputs: Record<string, StageTensor> = {};
  for (const [name, tensor] of random) {
    inputs[name] = { dtype: tensor.dtype, data: tensor.data, shape: tensor.shape } as StageTensor;
  }
  return {
    modelPackage: {
      manifest: parseManifest(JSON.stringify(manifest), `${id}/model.json`),
      location: `memory:${id}`,
      readFile: async (name) => files.get(name)!,
    },
    inputs,
  };
}
