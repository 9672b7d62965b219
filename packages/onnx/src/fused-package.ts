import {
  costsFromStages,
  type FusionPlan,
  InvalidArgumentError,
  type ModelManifest,
  type ModelPackage,
  type StageSpec,
  sha256Hex,
  type TensorBinding,
} from '@pcee/core';
import { type FuseStage, fuseStages } from './fuse-stages.js';
import { readModel, writeModel } from './model-io.js';
import type { ModelProto } from './onnx-proto.js';
import { countParameters } from './parameters.js';
import { pruneToOutputs } from './prune.js';

/** A model package whose stages are a fusion plan's groups, and how its exits map back. */
export interface FusedModel {
  /**
   * The fused package, in memory: stage `g` runs the original stages `plan.groups[g]` as one
   * graph and carries exit `plan.liveExits[g]`. Files of unfused stages (and `full.onnx`)
   * are read from the original package; fused stage files are held in memory.
   */
  readonly modelPackage: ModelPackage;
  /** The plan it was built from. */
  readonly plan: FusionPlan;
  /** `exitMap[g]`: the original exit of fused exit `g` (= `plan.liveExits`). */
  readonly exitMap: readonly number[];
}

/**
 * Builds the model package that runs a fusion plan: each group of stages becomes one stage
 * whose graph is the group's stage graphs joined (`fuseStages`), consuming what the group
 * needs from earlier groups or the model inputs, producing what later groups need, and
 * giving the live exit's logits; the heads of the dropped exits are pruned away. A group of
 * one stage keeps the original file and bytes.
 *
 * The manifest stays consistent (what `parseManifest` checks): a fused stage's FLOPs are its
 * group's backbones plus the live exit's head (dropped heads are not paid), so `exitCosts`
 * are the original cumulative costs minus the dropped heads and `fullModelCost` is unchanged;
 * parameters drop by the pruned heads' weights; every fused file has its sha256. The id stays
 * (profiles of the model apply), the description says what was fused.
 *
 * Works for version 2 packages and converted version 1 ones, whose graph names differ from
 * the package's tensor names (the fused graph uses the package names).
 *
 * @throws InvalidArgumentError when the plan does not fit the model (other exit count, or
 *   groups that are not consecutive runs of stages ending at their live exits).
 */
export async function fuseModelPackage(modelPackage: ModelPackage, plan: FusionPlan): Promise<FusedModel> {
  const { manifest } = modelPackage;
  checkPlan(manifest, plan);
  const groupOf = new Int32Array(manifest.stages.length);
  plan.groups.forEach((group, g) => {
    for (const stage of group) groupOf[stage] = g;
  });
  const taken = new Set([
    ...manifest.inputs.map((input) => input.name),
    ...manifest.stages.flatMap((stage) => stage.produces.map((tensor) => tensor.name)),
  ]);
  const files = new Map<string, Uint8Array>();
  const stages: StageSpec[] = [];
  let headParametersDropped = 0;
  for (const [g, group] of plan.groups.entries()) {
    const first = manifest.stages[group[0]!]!;
    if (group.length === 1) {
      stages.push({ ...first, index: g });
      continue;
    }
    const fused = await fuseGroup(modelPackage, group, groupOf, g, taken);
    const file = uniqueFile(manifest, files, `fused-${group[0]}-${group.at(-1)}.onnx`);
    files.set(file, fused.bytes);
    headParametersDropped += fused.headParametersDropped;
    stages.push({
      index: g,
      file,
      sha256: sha256Hex(fused.bytes),
      consumes: fused.consumes,
      produces: fused.produces,
      logits: fused.logits,
      flops: {
        backbone: group.reduce((sum, stage) => sum + manifest.stages[stage]!.flops.backbone, 0),
        head: manifest.stages[group.at(-1)!]!.flops.head,
      },
      parameters: fused.parameters,
    });
  }
  const costs = costsFromStages(
    stages.map((stage) => stage.flops),
    'flops',
  );
  const carried = new Set(stages.flatMap((stage) => stage.produces.map((tensor) => tensor.name)));
  const live = plan.liveExits.join(', ');
  const fusedManifest: ModelManifest = {
    ...manifest,
    description: `${manifest.description ?? manifest.id} (fused: live exits ${live})`,
    stages,
    ...(manifest.tensors ? { tensors: manifest.tensors.filter((tensor) => carried.has(tensor.name)) } : {}),
    exitCosts: costs.exits,
    fullModelCost: costs.fullModel,
    parameters: manifest.parameters - headParametersDropped,
  };
  return {
    modelPackage: {
      manifest: fusedManifest,
      location: `${modelPackage.location} (fused: live exits ${live})`,
      readFile: async (name) => files.get(name) ?? modelPackage.readFile(name),
    },
    plan,
    exitMap: plan.liveExits,
  };
}

interface FusedGroup {
  readonly bytes: Uint8Array;
  readonly consumes: readonly TensorBinding[];
  readonly produces: readonly TensorBinding[];
  readonly logits: string;
  readonly parameters: number;
  readonly headParametersDropped: number;
}

/** One group's stages joined into one graph named in the package's tensor names. */
async function fuseGroup(
  modelPackage: ModelPackage,
  group: readonly number[],
  groupOf: Int32Array,
  g: number,
  taken: ReadonlySet<string>,
): Promise<FusedGroup> {
  const { manifest } = modelPackage;
  const specs = group.map((stage) => manifest.stages[stage]!);
  const live = specs.at(-1)!;
  const producedInside = new Set(specs.flatMap((spec) => spec.produces.map((tensor) => tensor.name)));
  const consumes = [
    ...new Set(
      specs
        .flatMap((spec) => spec.consumes.map((tensor) => tensor.name))
        .filter((name) => !producedInside.has(name)),
    ),
  ];
  const neededLater = new Set(
    manifest.stages
      .filter((stage) => groupOf[stage.index]! > g)
      .flatMap((stage) => stage.consumes.map((tensor) => tensor.name)),
  );
  const produces = [...producedInside].filter((name) => neededLater.has(name));
  const logits = freshName(`exit_${live.index}`, taken);
  const models = await Promise.all(
    specs.map(async (spec) => readModel(await modelPackage.readFile(spec.file), spec.file)),
  );
  let headParametersDropped = 0;
  const parts = specs.map((spec, k): FuseStage => {
    const model = models[k]!;
    const outputs: Record<string, string> = {};
    for (const { name, onnxName } of spec.produces) outputs[onnxName] = name;
    // The dropped exits' logits get private names no one asks for, so pruning removes their heads.
    outputs[spec.logits] = spec === live ? logits : freshName(`pcee_dropped_exit_${spec.index}`, taken);
    for (const output of model.graph!.output) {
      outputs[output.name] ??= freshName(`pcee_stage_${spec.index}_${output.name}`, taken);
    }
    if (spec !== live) headParametersDropped += headParameters(model, spec);
    return {
      model,
      inputs: Object.fromEntries(spec.consumes.map(({ name, onnxName }) => [onnxName, name])),
      outputs,
    };
  });
  const fused = fuseStages(parts, {
    outputs: [...produces, logits],
    name: `${manifest.id}-stages-${group[0]}-${group.at(-1)}`,
  });
  const bytes = writeModel(fused, `fused stages ${group[0]}…${group.at(-1)} of "${manifest.id}"`);
  return {
    bytes,
    consumes: consumes.map((name) => ({ name, onnxName: name })),
    produces: produces.map((name) => ({ name, onnxName: name })),
    logits,
    parameters: specs.reduce((sum, spec) => sum + spec.parameters, 0) - headParametersDropped,
    headParametersDropped,
  };
}

/** Weights only a stage's exit head reads: the stage's weights minus those its carried outputs need. */
function headParameters(model: ModelProto, spec: StageSpec): number {
  const carried = spec.produces.map((tensor) => tensor.onnxName);
  if (carried.length === 0) return 0;
  return countParameters(model) - countParameters(pruneToOutputs(model, carried).model);
}

/** `name`, or `name_<n>` for the first n that no package tensor uses. */
function freshName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  let n = 1;
  while (taken.has(`${name}_${n}`)) n++;
  return `${name}_${n}`;
}

/** A file name no original file and no earlier fused file uses. */
function uniqueFile(manifest: ModelManifest, files: ReadonlyMap<string, Uint8Array>, file: string): string {
  const used = new Set([...manifest.stages.map((stage) => stage.file), manifest.full?.file, ...files.keys()]);
  if (!used.has(file)) return file;
  let n = 1;
  while (used.has(file.replace(/\.onnx$/, `-${n}.onnx`))) n++;
  return file.replace(/\.onnx$/, `-${n}.onnx`);
}

/** The plan must cover the model's stages in order, each group ending at its live exit. */
function checkPlan(manifest: ModelManifest, plan: FusionPlan): void {
  const stages = manifest.stages.length;
  const flat = plan.groups.flat();
  const consecutive = flat.length === stages && flat.every((stage, k) => stage === k);
  const endsAtExits =
    plan.groups.length === plan.liveExits.length &&
    plan.groups.every((group, g) => group.length > 0 && group.at(-1) === plan.liveExits[g]);
  if (!consecutive || !endsAtExits) {
    throw new InvalidArgumentError(
      `fusion plan (live exits ${plan.liveExits.join(', ')}; groups ${plan.groups.map((group) => `[${group.join(', ')}]`).join(' ')}) does not fit model "${manifest.id}" with ${stages} stages; plan it with planFusion on a policy of this model`,
    );
  }
}
