import type { ModelInput, Partition, PartitionCosts, TensorType } from '@pcee/onnx';

/** A file written into the package: name and sha256 (lower-case hex). */
export interface WrittenFile {
  readonly file: string;
  readonly sha256: string;
}

/** What `buildManifestV2` needs beyond the partition. */
export interface ManifestParts {
  readonly id: string;
  readonly description?: string;
  readonly inputs: readonly ModelInput[];
  readonly classes: readonly string[];
  readonly partition: Partition;
  readonly costs: PartitionCosts;
  readonly stageFiles: readonly WrittenFile[];
  readonly full: WrittenFile & {
    readonly inputs: readonly string[];
    readonly output: string;
    readonly parameters: number;
  };
}

/**
 * The `model.json` of a split model: format `pcee-model` version 2 (see the v2 format
 * reference), with every carried tensor's dtype and shape in `tensors`.
 */
export function buildManifestV2(parts: ManifestParts): Record<string, unknown> {
  const { partition, costs } = parts;
  const used = new Set(partition.inputs);
  const carried = [...new Set(partition.stages.flatMap((stage) => stage.produces))];
  return {
    format: 'pcee-model',
    version: 2,
    id: parts.id,
    ...(parts.description ? { description: parts.description } : {}),
    inputs: parts.inputs
      .filter((input) => used.has(input.name))
      .map((input) => ({ name: input.name, dtype: input.dtype, shape: input.shape })),
    classes: parts.classes,
    stages: partition.stages.map((stage, k) => ({
      index: stage.index,
      file: parts.stageFiles[k]!.file,
      sha256: parts.stageFiles[k]!.sha256,
      consumes: stage.consumes,
      produces: stage.produces,
      logits: stage.logits,
      flops: { backbone: costs.stages[k]!.backbone, head: costs.stages[k]!.head },
      parameters: costs.stages[k]!.parameters,
    })),
    tensors: carried.map((name) => tensorEntry(name, partition.types.get(name)!)),
    exitCosts: costs.exitCosts,
    fullModelCost: costs.fullModelCost,
    costUnit: 'flops',
    full: {
      file: parts.full.file,
      sha256: parts.full.sha256,
      inputs: parts.full.inputs,
      output: parts.full.output,
      parameters: parts.full.parameters,
    },
    parameters: costs.parameters,
  };
}

function tensorEntry(name: string, type: TensorType) {
  return { name, dtype: type.dtype, shape: type.shape };
}
