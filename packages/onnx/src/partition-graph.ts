import { create } from '@bufbuild/protobuf';
import { InvalidArgumentError, UnsupportedModelError } from '@pcee/core';
import { BATCH, batchAxis } from './batch-axis.js';
import { isCarriedDtype } from './dtypes.js';
import { flopCountingOp } from './flops.js';
import {
  ancestorNodes,
  CONTROL_FLOW_OPS,
  type GraphIndex,
  hasSubgraph,
  indexGraph,
  inGraphOrder,
} from './graph-index.js';
import { matchLastHead } from './head-match.js';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  type ModelProto,
  type NodeProto,
  NodeProtoSchema,
} from './onnx-proto.js';
import { buildSubgraphModel } from './subgraph-model.js';
import { declaredTensorTypes, type TensorType, type TensorTypes } from './tensor-types.js';

/** Options of `partitionGraph`. */
export interface PartitionOptions {
  /**
   * Tensor types by name, typically from a probe run (`probeTensorTypes`), with the batch
   * dimension named `"batch"` and other symbolic sizes named. They take precedence over the
   * graph's own declarations. Needed for every tensor crossing a stage boundary whose type
   * the graph does not declare.
   */
  readonly types?: TensorTypes;
  /** Source name for error messages (e.g. the file name). */
  readonly source?: string;
}

/** One stage of a partitioned model. */
export interface PartitionStage {
  readonly index: number;
  /** The stage as a standalone model: graph inputs = `consumes`, outputs = `produces` + `logits`. */
  readonly model: ModelProto;
  /** Tensors the stage reads: model inputs and tensors earlier stages produce, in that order. */
  readonly consumes: readonly string[];
  /** Tensors the stage computes for later stages, in graph order. */
  readonly produces: readonly string[];
  /** The graph output holding this exit's logits `[batch, classes]`. */
  readonly logits: string;
  /**
   * Source-graph node indices the stage computes, in graph order; constant nodes (weights
   * reshaped at load time) excluded. Includes shape computations recomputed from carried
   * tensors rather than carried (they have no batch axis).
   */
  readonly nodes: readonly number[];
  /**
   * Of `nodes`, the exit head: those only this exit's logits need. For the last stage, the
   * nodes that match the previous exit's head operator for operator (its head structurally),
   * or none when they do not match.
   */
  readonly head: readonly number[];
  /** Constant nodes the stage holds a copy of. */
  readonly constants: readonly number[];
}

/** The result of `partitionGraph`. */
export interface Partition {
  /** The source graph's index (node numbers in stages refer to it). */
  readonly index: GraphIndex;
  readonly stages: readonly PartitionStage[];
  /** Model inputs the stages read, in the source graph's input order. */
  readonly inputs: readonly string[];
  /** Types of every model input and carried tensor (carried names as the stages use them). */
  readonly types: TensorTypes;
  /** Source-graph node indices the last exit alone needs (the graph of `full.onnx`), constants excluded. */
  readonly fullNodes: readonly number[];
}

/** Suffix of the batch-first copy of a carried tensor whose batch axis is not the first. */
const BATCH_FIRST_SUFFIX = '::batch_first';

/**
 * Partitions a multi-exit model into one stage per exit: stage `i` holds the nodes exit `i`
 * needs and no earlier exit needs. The tensors crossing each boundary are computed from the
 * graph: a stage consumes every model input and earlier-stage tensor its nodes read, and
 * produces every tensor a later stage reads. Weights go to every stage that reads them (a
 * weight shared by two stages is stored in both); constant nodes are copied into every stage
 * that needs them rather than carried. A carried tensor whose batch axis is not the first
 * (e.g. `[sequence, batch, d]`) is carried transposed to batch-first (`<name>::batch_first`)
 * and transposed back where it is read; one with no batch axis at all (a shape computed from
 * a tensor) is recomputed in the stage that reads it.
 *
 * @param exits graph tensor names of the exits' logits, in exit order.
 * @throws InvalidArgumentError for an unknown or repeated exit, an exit that does not depend
 *   on the model inputs, or exits whose order contradicts the graph: a later exit computed on
 *   the way to an earlier one, or a stage before the last that no later stage builds on.
 * @throws UnsupportedModelError for control flow inside a stage, or a carried tensor of a
 *   dtype stages cannot carry or without a batch axis that cannot be recomputed cheaply.
 */
export function partitionGraph(
  model: ModelProto,
  exits: readonly string[],
  options: PartitionOptions = {},
): Partition {
  const source = options.source ?? 'the model';
  const index = indexGraph(model, source);
  const types = new Map<string, TensorType>(declaredTensorTypes(model));
  for (const [name, type] of options.types ?? []) types.set(name, type);
  const batchSymbols = new Set([BATCH]);
  for (const input of index.inputs) {
    const first = types.get(input.name)?.shape?.[0];
    if (typeof first === 'string') batchSymbols.add(first);
  }
  const needed = validateExits(index, exits, source);

  // Stage of every non-constant node: the first exit that needs it.
  const stageOf = new Int32Array(index.nodes.length).fill(-1);
  needed.forEach((nodes, stage) => {
    for (const node of nodes) if (stageOf[node] === -1) stageOf[node] = stage;
  });
  const stageNodes = exits.map((_, stage) =>
    inGraphOrder(index, needed[stage]!).filter((n) => stageOf[n] === stage),
  );
  const recomputed: Set<number>[] = exits.map(() => new Set());
  const carried = exits.map(() => new Set<string>()); // tensors stage i reads from earlier stages
  const modelInputs = exits.map(() => new Set<string>());
  const constants = exits.map(() => new Set<number>());

  const isAvailableCut = (name: string) => {
    if (index.inputNames.has(name)) return true;
    const from = index.producer.get(name);
    if (from === undefined || index.constant[from]) return false;
    return batchAxis(types.get(name), batchSymbols) !== 'none';
  };
  // What a node set reads from outside itself, sorted into model inputs, carried tensors and constants.
  const collectReads = (stage: number, nodes: Iterable<number>, own: (node: number) => boolean) => {
    const pending: string[] = [];
    for (const node of nodes) {
      for (const name of index.nodeInputs[node]!) {
        const from = index.producer.get(name);
        if (from === undefined) {
          if (index.inputNames.has(name)) modelInputs[stage]!.add(name);
        } else if (index.constant[from]) {
          for (const constant of ancestorNodes(index, [name])) constants[stage]!.add(constant);
        } else if (!own(from)) {
          pending.push(name);
        }
      }
    }
    return pending;
  };
  for (let stage = 0; stage < exits.length; stage++) {
    const own = (node: number) => stageOf[node] === stage || recomputed[stage]!.has(node);
    let pending = collectReads(stage, stageNodes[stage]!, own);
    while (pending.length > 0) {
      const next: string[] = [];
      for (const name of pending) {
        if (carried[stage]!.has(name)) continue;
        if (batchAxis(types.get(name), batchSymbols) !== 'none') {
          carried[stage]!.add(name);
          continue;
        }
        // No batch axis (e.g. Shape → Gather → Concat feeding a Reshape): recompute it here
        // from batch-first tensors, since rows of such a tensor cannot be compacted.
        const nodes = [...ancestorNodes(index, [name], isAvailableCut)].filter(
          (node) => !index.constant[node] && !recomputed[stage]!.has(node),
        );
        const costly = nodes.find((node) => flopCountingOp(index.nodes[node]!.opType));
        if (costly !== undefined) {
          const type = types.get(name);
          throw new UnsupportedModelError(
            `tensor "${name}" of shape [${type?.shape?.join(', ')}] crosses from stage ${stageOf[index.producer.get(name)!]} to stage ${stage} without a batch axis, and recomputing it would repeat ${index.nodes[costly]!.opType} nodes; reshape it so the batch is its first dimension at the exit boundaries`,
          );
        }
        for (const node of nodes) recomputed[stage]!.add(node);
        next.push(...collectReads(stage, nodes, (node) => own(node) || nodes.includes(node)));
      }
      pending = next;
    }
  }

  // Control flow cannot be cut through or carried.
  for (let stage = 0; stage < exits.length; stage++) {
    for (const node of [...stageNodes[stage]!, ...recomputed[stage]!, ...constants[stage]!]) {
      const proto = index.nodes[node]!;
      if (CONTROL_FLOW_OPS.has(proto.opType) || hasSubgraph(proto)) {
        throw new UnsupportedModelError(
          `stage ${stage} (exit "${exits[stage]}") contains control flow: ${proto.opType} node "${proto.name || proto.output[0]}"; stages cannot hold If/Loop/Scan: export with tracing so loops and branches unroll (torch.onnx.export of an nn.Module, not a ScriptModule)`,
        );
      }
    }
  }

  // Carried tensors: dtype check, and batch-first copies where the batch axis is elsewhere.
  const producedBy = exits.map(() => new Set<string>());
  const carriedName = new Map<string, string>();
  const carriedTypes = new Map<string, TensorType>();
  for (let stage = 0; stage < exits.length; stage++) {
    for (const name of sortByProducer(index, [...carried[stage]!])) {
      const from = stageOf[index.producer.get(name)!]!;
      producedBy[from]!.add(name);
      const type = types.get(name);
      if (!type) {
        throw new InvalidArgumentError(
          `the type of tensor "${name}" (carried from stage ${from} to stage ${stage}) is unknown; pass tensor types from a probe run (probeTensorTypes)`,
        );
      }
      if (!isCarriedDtype(type.dtype)) {
        throw new UnsupportedModelError(
          `tensor "${name}" carried from stage ${from} to stage ${stage} is ${type.dtype}, which stages cannot carry (float32, float16, float64, int64, int32, int8, uint8, bool); cast it in the model or choose other exits`,
        );
      }
      const axis = batchAxis(type, batchSymbols);
      if (typeof axis === 'number' && axis > 0) {
        carriedName.set(name, name + BATCH_FIRST_SUFFIX);
        carriedTypes.set(name + BATCH_FIRST_SUFFIX, {
          dtype: type.dtype,
          shape: toBatchFirst(type.shape!, axis),
        });
      } else {
        carriedTypes.set(name, type);
      }
    }
  }
  const typeLookup = new Map([...types, ...carriedTypes]);
  const inputOrder = index.inputs.map((input) => input.name);
  const graphName = index.graph.name || 'model';
  for (const logits of exits) {
    const shape = typeLookup.get(logits)?.shape;
    if (shape && (shape.length !== 2 || batchAxis(typeLookup.get(logits), batchSymbols) !== 0)) {
      throw new UnsupportedModelError(
        `exit "${logits}" has shape [${shape.join(', ')}]; an exit's logits must be [batch, classes]: flatten or pool them in the model before the output`,
      );
    }
  }
  const stages: PartitionStage[] = exits.map((logits, stage) => {
    const consumedInputs = inputOrder.filter((name) => modelInputs[stage]!.has(name));
    const consumedCarried = sortByProducer(index, [...carried[stage]!]);
    const produced = sortByProducer(index, [...producedBy[stage]!]);
    const prologue = consumedCarried
      .filter((name) => carriedName.has(name))
      .map((name) => fromBatchFirst(name, typeLookup));
    const epilogue = produced
      .filter((name) => carriedName.has(name))
      .map((name) => toBatchFirstNode(name, typeLookup));
    const nodes = inGraphOrder(index, [...stageNodes[stage]!, ...recomputed[stage]!, ...constants[stage]!]);
    const consumes = [...consumedInputs, ...consumedCarried.map((name) => carriedName.get(name) ?? name)];
    const produces = produced.map((name) => carriedName.get(name) ?? name);
    const outputs = produces.includes(logits) ? produces : [...produces, logits];
    const stageModel = buildSubgraphModel(
      index,
      { name: `${graphName}_stage_${stage}`, nodes, inputs: consumes, outputs, prologue, epilogue },
      typeLookup,
    );
    const computed = inGraphOrder(index, [...stageNodes[stage]!, ...recomputed[stage]!]);
    const feeding = ancestorNodes(index, produced, (name) => {
      const from = index.producer.get(name);
      return from === undefined || stageOf[from] !== stage;
    });
    const head = stage < exits.length - 1 ? stageNodes[stage]!.filter((node) => !feeding.has(node)) : [];
    return {
      index: stage,
      model: stageModel,
      consumes,
      produces,
      logits,
      nodes: computed,
      head,
      constants: inGraphOrder(index, constants[stage]!),
    };
  });
  const last = stages.length - 1;
  const deadEnd = stages.findIndex((stage) => stage.index < last && stage.produces.length === 0);
  if (deadEnd !== -1) {
    const byDepth = exits.map((exit, k) => ({ exit, size: needed[k]!.size })).sort((a, b) => a.size - b.size);
    throw new InvalidArgumentError(
      `no exit after "${exits[deadEnd]}" builds on its stage (stage ${deadEnd} passes nothing on), so the exits are not in depth order; order them by depth, e.g. --exits ${byDepth.map(({ exit }) => exit).join(',')}`,
    );
  }
  if (last > 0) {
    const head = matchLastHead(index, stages[last - 1]!, stages[last]!);
    stages[last] = { ...stages[last]!, head };
  }
  const usedInputs = new Set(stages.flatMap((stage) => stage.consumes));
  return {
    index,
    stages,
    inputs: inputOrder.filter((name) => usedInputs.has(name)),
    types: new Map(
      [...typeLookup].filter(
        ([name]) => usedInputs.has(name) || stages.some((stage) => stage.produces.includes(name)),
      ),
    ),
    fullNodes: inGraphOrder(index, needed[last]!),
  };
}

/** The non-constant nodes each exit needs, after checking names, dependence on inputs and order. */
function validateExits(index: GraphIndex, exits: readonly string[], source: string): Set<number>[] {
  if (exits.length === 0)
    throw new InvalidArgumentError(`no exits given for ${source}; name at least one output`);
  const outputs = index.graph.output.map((output) => output.name);
  const seen = new Set<string>();
  for (const exit of exits) {
    if (seen.has(exit))
      throw new InvalidArgumentError(`exit "${exit}" is listed twice; name every exit once`);
    seen.add(exit);
    if (!index.producer.has(exit) && !index.inputNames.has(exit) && !index.initializers.has(exit)) {
      throw new InvalidArgumentError(
        `unknown exit "${exit}": ${source} has no tensor of that name; its outputs are: ${outputs.join(', ')}`,
      );
    }
  }
  const needed = exits.map((exit) => {
    const nodes = ancestorNodes(index, [exit]);
    for (const node of nodes) if (index.constant[node]) nodes.delete(node);
    const from = index.producer.get(exit);
    if (from === undefined || index.constant[from] || nodes.size === 0) {
      throw new InvalidArgumentError(
        `exit "${exit}" does not depend on the model inputs (${index.inputs.map((input) => input.name).join(', ')}); it is a constant or an input, not an exit's logits`,
      );
    }
    return nodes;
  });
  for (let later = 1; later < exits.length; later++) {
    const from = index.producer.get(exits[later]!)!;
    for (let earlier = 0; earlier < later; earlier++) {
      if (needed[earlier]!.has(from)) {
        const order = [...exits];
        order.splice(later, 1);
        order.splice(earlier, 0, exits[later]!);
        throw new InvalidArgumentError(
          `exit "${exits[later]}" is computed on the way to exit "${exits[earlier]}", so it cannot come after it; order the exits by depth, e.g. --exits ${order.join(',')}`,
        );
      }
    }
  }
  return needed;
}

function sortByProducer(index: GraphIndex, names: string[]): string[] {
  return names.sort((a, b) => index.rank[index.producer.get(a)!]! - index.rank[index.producer.get(b)!]!);
}

function toBatchFirst<T>(shape: readonly T[], axis: number): T[] {
  return [shape[axis]!, ...shape.slice(0, axis), ...shape.slice(axis + 1)];
}

function batchFirstPermutation(rank: number, axis: number): number[] {
  return toBatchFirst(
    Array.from({ length: rank }, (_, k) => k),
    axis,
  );
}

function transposeNode(input: string, output: string, perm: readonly number[]): NodeProto {
  return create(NodeProtoSchema, {
    name: `pcee_transpose_${output}`,
    opType: 'Transpose',
    input: [input],
    output: [output],
    attribute: [
      create(AttributeProtoSchema, {
        name: 'perm',
        type: AttributeProto_AttributeType.INTS,
        ints: perm.map(BigInt),
      }),
    ],
  });
}

function axisOfBatchFirst(
  name: string,
  types: ReadonlyMap<string, TensorType>,
): { rank: number; axis: number } {
  const original = types.get(name)!.shape!;
  const copy = types.get(name + BATCH_FIRST_SUFFIX)!.shape!;
  // The batch-first copy starts with the batch symbol; find where it sat.
  return { rank: original.length, axis: original.indexOf(copy[0]!) };
}

function toBatchFirstNode(name: string, types: ReadonlyMap<string, TensorType>): NodeProto {
  const { rank, axis } = axisOfBatchFirst(name, types);
  return transposeNode(name, name + BATCH_FIRST_SUFFIX, batchFirstPermutation(rank, axis));
}

function fromBatchFirst(name: string, types: ReadonlyMap<string, TensorType>): NodeProto {
  const { rank, axis } = axisOfBatchFirst(name, types);
  const forward = batchFirstPermutation(rank, axis);
  const inverse = new Array<number>(rank);
  forward.forEach((from, to) => {
    inverse[from] = to;
  });
  return transposeNode(name + BATCH_FIRST_SUFFIX, name, inverse);
}
