import { InvalidFileError } from '@pcee/core';
import type { GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from './onnx-proto.js';

/** Operators whose output changes from run to run: never folded or duplicated as constants. */
const RANDOM_OPS = new Set([
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
]);

/** Operators with subgraph bodies; a stage cannot contain them (see `partitionGraph`). */
export const CONTROL_FLOW_OPS = new Set(['If', 'Loop', 'Scan', 'SequenceMap']);

/**
 * Lookup tables over a model's main graph, built once: who produces each tensor, what each
 * node reads (including names its subgraphs read from the outer scope), which names are
 * weights, and which nodes are constant (they depend on no graph input, so onnxruntime folds
 * them at load time, and a stage that needs one gets its own copy instead of receiving it).
 */
export interface GraphIndex {
  readonly model: ModelProto;
  readonly graph: GraphProto;
  readonly nodes: readonly NodeProto[];
  /** Node indices in a topological order (the file's order when it is one, as ONNX requires). */
  readonly order: readonly number[];
  /** Position of each node in `order`. */
  readonly rank: Int32Array;
  /** Tensor name → index of the node that produces it. */
  readonly producer: ReadonlyMap<string, number>;
  /** Node index → the tensor names it reads (empty optional inputs dropped, outer-scope reads of subgraphs added). */
  readonly nodeInputs: readonly (readonly string[])[];
  /** Initializers by name (dense). */
  readonly initializers: ReadonlyMap<string, TensorProto>;
  /** Names of sparse initializers. */
  readonly sparseInitializers: ReadonlySet<string>;
  /** Graph inputs that are not initializers, in declaration order. */
  readonly inputs: readonly ValueInfoProto[];
  readonly inputNames: ReadonlySet<string>;
  /** Node index → true when its outputs depend on no graph input and on no random op. */
  readonly constant: readonly boolean[];
}

/**
 * Indexes the main graph of `model`.
 *
 * @throws InvalidFileError when the graph has a cycle or reads a tensor nothing defines.
 */
export function indexGraph(model: ModelProto, source = 'model'): GraphIndex {
  const graph = model.graph;
  if (!graph) throw new InvalidFileError(`${source} has no graph`);
  const nodes = graph.node;
  const initializers = new Map(graph.initializer.map((tensor) => [tensor.name, tensor]));
  const sparseInitializers = new Set(
    graph.sparseInitializer.map((sparse) => sparse.values?.name ?? '').filter((name) => name !== ''),
  );
  const inputs = graph.input.filter(
    (input) => !initializers.has(input.name) && !sparseInitializers.has(input.name),
  );
  const inputNames = new Set(inputs.map((input) => input.name));
  const producer = new Map<string, number>();
  nodes.forEach((node, index) => {
    for (const output of node.output) if (output !== '') producer.set(output, index);
  });
  const nodeInputs = nodes.map((node) => {
    const names = node.input.filter((name) => name !== '');
    for (const outer of outerScopeReads(node)) if (!names.includes(outer)) names.push(outer);
    return names;
  });
  for (const [index, names] of nodeInputs.entries()) {
    for (const name of names) {
      if (
        !producer.has(name) &&
        !initializers.has(name) &&
        !sparseInitializers.has(name) &&
        !inputNames.has(name)
      ) {
        throw new InvalidFileError(
          `${source}: node "${nodes[index]!.name || nodes[index]!.opType}" reads tensor "${name}" that no node, input or initializer defines; re-export the model`,
        );
      }
    }
  }
  const order = topologicalOrder(nodes.length, nodeInputs, producer, source);
  const rank = new Int32Array(nodes.length);
  order.forEach((node, position) => {
    rank[node] = position;
  });
  const constant: boolean[] = new Array(nodes.length).fill(false);
  for (const index of order) {
    constant[index] =
      !RANDOM_OPS.has(nodes[index]!.opType) &&
      nodeInputs[index]!.every((name) => {
        const from = producer.get(name);
        return from !== undefined ? constant[from]! : !inputNames.has(name);
      });
  }
  return {
    model,
    graph,
    nodes,
    order,
    rank,
    producer,
    nodeInputs,
    initializers,
    sparseInitializers,
    inputs,
    inputNames,
    constant,
  };
}

/**
 * The nodes `tensors` depend on (node indices). `stop(name)` cuts the walk at a tensor (it is
 * then taken as given); graph inputs and initializers end it anyway.
 */
export function ancestorNodes(
  index: GraphIndex,
  tensors: Iterable<string>,
  stop: (tensor: string) => boolean = () => false,
): Set<number> {
  const found = new Set<number>();
  const pending = [...tensors];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (stop(name)) continue;
    const node = index.producer.get(name);
    if (node === undefined || found.has(node)) continue;
    found.add(node);
    pending.push(...index.nodeInputs[node]!);
  }
  return found;
}

/** Node indices sorted in the graph's topological order. */
export function inGraphOrder(index: GraphIndex, nodes: Iterable<number>): number[] {
  return [...nodes].sort((a, b) => index.rank[a]! - index.rank[b]!);
}

/** Whether a node carries subgraphs (control flow or a custom op with graph attributes). */
export function hasSubgraph(node: NodeProto): boolean {
  return node.attribute.some((attribute) => attribute.g !== undefined || attribute.graphs.length > 0);
}

/** Names a node's subgraphs read from the enclosing scope (recursively). */
export function outerScopeReads(node: NodeProto): string[] {
  const reads: string[] = [];
  for (const attribute of node.attribute) {
    for (const subgraph of [...(attribute.g ? [attribute.g] : []), ...attribute.graphs]) {
      reads.push(...graphOuterReads(subgraph));
    }
  }
  return [...new Set(reads)];
}

function graphOuterReads(graph: GraphProto): string[] {
  const defined = new Set<string>([
    ...graph.input.map((input) => input.name),
    ...graph.initializer.map((tensor) => tensor.name),
  ]);
  const reads: string[] = [];
  for (const node of graph.node) {
    for (const name of [...node.input, ...outerScopeReads(node)]) {
      if (name !== '' && !defined.has(name)) reads.push(name);
    }
    for (const output of node.output) defined.add(output);
  }
  // A read of a name defined later in the same subgraph is still local.
  return reads.filter((name) => !defined.has(name));
}

function topologicalOrder(
  count: number,
  nodeInputs: readonly (readonly string[])[],
  producer: ReadonlyMap<string, number>,
  source: string,
): number[] {
  const sorted = nodeInputs.every((names, index) =>
    names.every((name) => (producer.get(name) ?? -1) < index),
  );
  if (sorted) return Array.from({ length: count }, (_, index) => index);
  // Not sorted as ONNX requires (onnxruntime sorts anyway): Kahn's algorithm, stable by file order.
  const waiting = new Int32Array(count);
  const dependents: number[][] = Array.from({ length: count }, () => []);
  nodeInputs.forEach((names, index) => {
    for (const from of new Set(names.map((name) => producer.get(name)).filter((n) => n !== undefined))) {
      waiting[index]!++;
      dependents[from]!.push(index);
    }
  });
  const ready: number[] = [];
  for (let index = 0; index < count; index++) if (waiting[index] === 0) ready.push(index);
  const order: number[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => b - a);
    const next = ready.pop()!;
    order.push(next);
    for (const dependent of dependents[next]!) if (--waiting[dependent]! === 0) ready.push(dependent);
  }
  if (order.length !== count)
    throw new InvalidFileError(`${source}: the graph has a cycle; re-export the model`);
  return order;
}
