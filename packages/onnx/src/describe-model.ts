import { listCutPoints } from './cut-points.js';
import { listExitCandidates } from './exit-candidates.js';
import { countFlops } from './flops.js';
import { ancestorNodes, indexGraph } from './graph-index.js';
import type { ModelInput } from './model-inputs.js';
import type { ModelProto } from './onnx-proto.js';
import { countDistinctParameters } from './parameters.js';
import { partitionCosts } from './partition-costs.js';
import { partitionGraph } from './partition-graph.js';
import { type ProbeRunner, probeModel } from './probe-model.js';
import { type Dimension, type TensorType, typeOfValueInfo } from './tensor-types.js';

/** One exit candidate of a described model: an output of logits [batch, classes]. */
export interface DescribedExit {
  readonly name: string;
  readonly classes: number;
  /** FLOPs per sample of everything this output depends on, as if it were the only one. */
  readonly flopsAlone: number;
  /** When the model splits at its candidates: this stage's backbone and head FLOPs per sample. */
  readonly flops?: { readonly backbone: number; readonly head: number };
  /** When the model splits: cumulative FLOPs per sample of stopping here (heads on the way included). */
  readonly cumulative?: number;
}

/** A cut point of the last output: where exit heads can be attached. */
export interface DescribedCutPoint {
  readonly name: string;
  readonly shape: readonly Dimension[] | undefined;
  /** FLOPs per sample of the nodes it depends on. */
  readonly flops: number;
  /** `flops` as a share of the last output's FLOPs, in [0, 1). */
  readonly share: number;
}

/** What an ONNX model offers for early exit, in the shape `pcee inspect --json` prints. */
export interface OnnxModelDescription {
  readonly file: string;
  /** The default-domain opset (0 when none is declared). */
  readonly opset: number;
  readonly inputs: readonly {
    readonly name: string;
    readonly dtype: string;
    readonly shape: readonly Dimension[];
  }[];
  readonly outputs: readonly {
    readonly name: string;
    readonly dtype: string | undefined;
    readonly shape: readonly Dimension[] | undefined;
    /** Whether the output is an exit candidate. */
    readonly exit: boolean;
  }[];
  readonly exits: readonly DescribedExit[];
  /** Where heads can go before the last exit candidate (empty when none or when listing fails). */
  readonly cutPoints: readonly DescribedCutPoint[];
  /** Distinct parameters (initializer elements). */
  readonly parameters: number;
  /** When the model splits: FLOPs per sample without the intermediate heads. */
  readonly fullModelCost?: number;
  /** When the model splits: FLOPs per sample of the whole graph, every head included. */
  readonly fullGraphCost?: number;
  /** Why the model does not split at its exit candidates, when it does not. */
  readonly splitError?: string;
}

/** `describeOnnxModel`'s result: the description, and what a human rendering adds to it. */
export interface OnnxModelInspection {
  readonly description: OnnxModelDescription;
  /** Nodes in the main graph. */
  readonly nodes: number;
  /** Each graph output's type as the probe ran it (undefined where the probe saw none), in output order. */
  readonly probedOutputTypes: readonly (TensorType | undefined)[];
}

/**
 * Describes an ONNX model for early exit: its inputs and outputs, which outputs can be exits
 * and their FLOPs (alone, and per stage when the model splits at them), and the cut points
 * before its last output where `attachExits` can put heads. Shapes come from running the
 * model through `runner` (see `probeModel`); a model that does not split is described with
 * the reason instead of stage costs.
 *
 * @param source the model's name in messages and in the description (`file`).
 */
export async function describeOnnxModel(
  model: ModelProto,
  runner: ProbeRunner,
  source: string,
): Promise<OnnxModelInspection> {
  const probe = await probeModel(model, runner, source);
  const index = indexGraph(model, source);
  const candidates = listExitCandidates(model, probe.types);
  const alone = (exit: string) =>
    countFlops(
      index,
      [...ancestorNodes(index, [exit])].filter((node) => !index.constant[node]),
      probe.shapes,
    );
  let costs: ReturnType<typeof partitionCosts> | undefined;
  let problem: string | undefined;
  if (candidates.length > 0) {
    try {
      costs = partitionCosts(
        partitionGraph(
          model,
          candidates.map((candidate) => candidate.name),
          { types: probe.types, source },
        ),
        probe.shapes,
      );
    } catch (error) {
      // A model that cannot split is still worth describing: the reason is part of the answer.
      problem = (error as Error).message;
    }
  }
  const inputs = probe.inputs.map((input: ModelInput) => ({
    name: input.name,
    dtype: input.dtype,
    shape: input.shape,
  }));
  const graphOutputs = model.graph!.output;
  const outputs = graphOutputs.map((output) => {
    const type = probe.types.get(output.name) ?? typeOfValueInfo(output);
    return {
      name: output.name,
      dtype: type?.dtype,
      shape: type?.shape,
      exit: candidates.some((c) => c.name === output.name),
    };
  });
  const exits = candidates.map((candidate, k) => ({
    name: candidate.name,
    classes: candidate.classes,
    flopsAlone: alone(candidate.name),
    ...(costs
      ? {
          flops: { backbone: costs.stages[k]!.backbone, head: costs.stages[k]!.head },
          cumulative: costs.exitCosts[k],
        }
      : {}),
  }));
  const parameters = countDistinctParameters([model]);
  const description: OnnxModelDescription = {
    file: source,
    opset: Number(model.opsetImport.find((opset) => opset.domain === '')?.version ?? 0),
    inputs,
    outputs,
    exits,
    cutPoints: cutPointsBefore(model, candidates.at(-1)?.name, probe.types, probe.shapes),
    parameters,
    ...(costs ? { fullModelCost: costs.fullModelCost, fullGraphCost: costs.fullGraphCost } : {}),
    ...(problem ? { splitError: problem } : {}),
  };
  return {
    description,
    nodes: model.graph!.node.length,
    probedOutputTypes: graphOutputs.map((output) => probe.types.get(output.name)),
  };
}

/** Where heads can go before `last` (if it is logits): its cut points short of the output itself. */
function cutPointsBefore(
  model: ModelProto,
  last: string | undefined,
  types: Parameters<typeof listCutPoints>[2],
  shapes: Parameters<typeof listCutPoints>[3],
): DescribedCutPoint[] {
  if (!last) return [];
  try {
    return listCutPoints(model, last, types, shapes)
      .filter((point) => point.share < 1)
      .map((point) => ({
        name: point.name,
        shape: point.type.shape,
        flops: point.flops,
        share: point.share,
      }));
  } catch {
    // Cut points are a suggestion; a graph they cannot be listed for still describes.
    return [];
  }
}
