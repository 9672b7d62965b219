import {
  InvalidArgumentError,
  type Runtime,
  sha256Hex,
  type Tensor,
  UnsupportedModelError,
} from '@pcee/core';
import {
  countParameters,
  indexLimits,
  listExitCandidates,
  type ModelInput,
  type ModelProto,
  type Partition,
  type PartitionCosts,
  type ProbeRunner,
  partitionCosts,
  partitionGraph,
  probeModel,
  pruneToOutput,
  randomInputs,
  type TensorTypes,
  writeModel,
} from '@pcee/onnx';
import { buildManifestV2 } from './manifest-v2.js';
import { type SplitCheck, verifySplit } from './verify-split.js';

/** The largest relative difference between the model's and the stages' logits a split accepts. */
export const SPLIT_TOLERANCE = 1e-5;

/** What `splitModelPackage` needs besides the model. */
export interface SplitOptions {
  /** The model's name in messages (its file name). */
  readonly name: string;
  /** Exit outputs in order (default: every [batch, C] float output, by depth). */
  readonly exits?: readonly string[];
  /** Class names, or a reader given the class count (default: class_0, class_1, …). */
  readonly classes?: (count: number) => Promise<readonly string[]>;
  readonly id: string;
  readonly description?: string;
  /** Inputs to verify on: given, or a reader given the probed inputs; else `samples` random ones. */
  readonly inputs?: (probed: readonly ModelInput[]) => Promise<ReadonlyMap<string, Tensor>>;
  readonly samples: number;
  /** Samples per verification batch. */
  readonly batch: number;
  /** Runs a model on feeds to learn tensor shapes (e.g. runtime-node's `ortProbeRunner`). */
  readonly probe: ProbeRunner;
  /** Told before probing, and before verifying (with the samples and stages verified). */
  readonly onStep?: (step: 'probe' | 'verify', verifying?: { samples: number; stages: number }) => void;
  readonly onProgress?: (done: number, total: number) => void;
}

/** A verified split: the files of the package, its manifest and what was checked. */
export interface SplitPackage {
  /** `stage-<i>.onnx` and `full.onnx` by file name. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** `model.json` (version 2). */
  readonly manifest: Record<string, unknown>;
  readonly partition: Partition;
  readonly costs: PartitionCosts;
  readonly exits: readonly string[];
  readonly check: SplitCheck;
  /** The exit whose logits differ most. */
  readonly worst: number;
}

/**
 * Splits a multi-exit model (one output per exit) into stages that stop early: probes tensor
 * shapes, partitions the graph at the exits, counts FLOPs and parameters, prunes `full.onnx`,
 * and verifies through `runtime` that the chained stages reproduce every exit (`verifySplit`).
 *
 * @throws InvalidArgumentError when no exit is found or the exits disagree on classes.
 * @throws UnsupportedModelError when the stages do not reproduce the model within `SPLIT_TOLERANCE`.
 */
export async function splitModelPackage(
  runtime: Runtime,
  model: ModelProto,
  options: SplitOptions,
): Promise<SplitPackage> {
  const { name } = options;
  options.onStep?.('probe');
  const probe = await probeModel(model, options.probe, name);
  const candidates = listExitCandidates(model, probe.types);
  const exits = options.exits ?? candidates.map((candidate) => candidate.name);
  if (exits.length === 0) {
    throw new InvalidArgumentError(
      `no output of ${name} is a [batch, classes] float tensor (outputs: ${model.graph!.output.map((o) => o.name).join(', ')}); name the exits with --exits a,b,c`,
    );
  }
  const partition = partitionGraph(model, exits, { types: probe.types, source: name });
  const costs = partitionCosts(partition, probe.shapes);
  const classCount = classesOf(probe.types, exits);
  const classes = options.classes
    ? await options.classes(classCount)
    : Array.from({ length: classCount }, (_, k) => `class_${k}`);
  const last = exits.at(-1)!;
  const full = pruneToOutput(model, last, partition.types);
  const files = new Map<string, Uint8Array>();
  const stageFiles = partition.stages.map((stage, k) => {
    const file = `stage-${k}.onnx`;
    const bytes = writeModel(stage.model, file);
    files.set(file, bytes);
    return { file, sha256: sha256Hex(bytes) };
  });
  const fullBytes = writeModel(full.model, 'full.onnx');
  const manifest = buildManifestV2({
    id: options.id,
    description: options.description,
    inputs: probe.inputs,
    classes,
    partition,
    costs,
    stageFiles,
    full: {
      file: 'full.onnx',
      sha256: sha256Hex(fullBytes),
      inputs: full.inputs,
      output: last,
      parameters: countParameters(full.model),
    },
  });
  const inputs = options.inputs
    ? await options.inputs(probe.inputs)
    : randomInputs(probe.inputs, { ...probe.symbols[0], batch: options.samples }, indexLimits(model), 7);
  options.onStep?.('verify', {
    samples: [...inputs.values()][0]?.shape[0] ?? 0,
    stages: partition.stages.length,
  });
  const references = exits.map((exit) => {
    const pruned = pruneToOutput(model, exit, partition.types);
    return { bytes: writeModel(pruned.model, `${name} (${exit})`), inputs: pruned.inputs };
  });
  const check = await verifySplit(
    runtime,
    { manifest, files, references },
    inputs as ReadonlyMap<string, Tensor>,
    options.batch,
    options.onProgress,
  );
  const worst = check.errors.reduce((w, error, k) => (error > check.errors[w]! ? k : w), 0);
  files.set('full.onnx', fullBytes);
  return { files, manifest, partition, costs, exits, check, worst };
}

/**
 * Throws unless every exit differs from the model by at most `SPLIT_TOLERANCE`.
 *
 * @param source what the verification ran on, in words (`random inputs`, a file name).
 */
export function assertSplitReproduces(split: SplitPackage, name: string, source: string): void {
  const { check, worst, exits } = split;
  if (!(check.errors[worst]! <= SPLIT_TOLERANCE)) {
    throw new UnsupportedModelError(
      `the stages do not reproduce ${name}: exit "${exits[worst]}" differs by ${check.errors[worst]!.toExponential(2)} (relative, over ${check.samples} samples of ${source}; at most ${SPLIT_TOLERANCE.toExponential(0)} allowed); the model may not be deterministic: export it in eval mode (model.eval(), no dropout or random ops)`,
    );
  }
}

function classesOf(types: TensorTypes, exits: readonly string[]): number {
  const counts = exits.map((exit) => types.get(exit)?.shape?.[1]);
  const [first] = counts;
  if (typeof first !== 'number' || counts.some((count) => count !== first)) {
    throw new InvalidArgumentError(
      `the exits have different class counts (${exits.map((exit, k) => `${exit}: ${counts[k]}`).join(', ')}); every exit must classify into the same classes`,
    );
  }
  return first;
}
