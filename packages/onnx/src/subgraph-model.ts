import { InvalidArgumentError } from '@pcee/core';
import type { GraphIndex } from './graph-index.js';
import type { ModelProto, NodeProto, ValueInfoProto } from './onnx-proto.js';
import { withChanges } from './proto-copy.js';
import { type TensorTypes, valueInfo } from './tensor-types.js';

/** What to cut out of a graph: nodes (in topological order), the graph inputs and outputs. */
export interface SubgraphSpec {
  /** Graph name of the new model. */
  readonly name: string;
  /** Node indices of the source graph, in a topological order. */
  readonly nodes: readonly number[];
  /** Tensor names the new graph takes as inputs (model inputs or tensors computed elsewhere). */
  readonly inputs: readonly string[];
  /** Tensor names the new graph returns. */
  readonly outputs: readonly string[];
  /** Nodes that are not in the source graph, run before `nodes` (they read only `inputs`). */
  readonly prologue?: readonly NodeProto[];
  /** Nodes that are not in the source graph, run after `nodes`. */
  readonly epilogue?: readonly NodeProto[];
}

/**
 * A standalone model holding `spec.nodes` of the indexed graph, the initializers they read
 * (a weight read by two subgraphs is stored in both), `value_info` of its inner tensors, and
 * the source model's opsets, IR version, metadata and local functions. Nodes and weights are
 * shared with the source model, not copied: treat both as read-only.
 *
 * Input and output types come from the source graph's own declarations when the tensor is a
 * source input or output, else from `types` (symbolic dimensions become `dim_param`).
 *
 * @throws InvalidArgumentError when the type of an input or output is unknown.
 */
export function buildSubgraphModel(index: GraphIndex, spec: SubgraphSpec, types: TensorTypes): ModelProto {
  const { graph, model } = index;
  const reads = new Set<string>();
  const produced = new Set<string>();
  for (const node of spec.nodes) {
    for (const name of index.nodeInputs[node]!) reads.add(name);
    for (const output of index.nodes[node]!.output) if (output !== '') produced.add(output);
  }
  const sourceInputs = new Map(graph.input.map((input) => [input.name, input]));
  const sourceOutputs = new Map(graph.output.map((output) => [output.name, output]));
  const declared = (name: string, role: string): ValueInfoProto => {
    const own = role === 'input' ? sourceInputs.get(name) : sourceOutputs.get(name);
    if (own?.type) return own;
    const type = types.get(name);
    if (!type?.shape) {
      throw new InvalidArgumentError(
        `the type of tensor "${name}" (an ${role} of ${spec.name}) is unknown; pass tensor types from a probe run (probeTensorTypes)`,
      );
    }
    return valueInfo(name, type);
  };
  const outputSet = new Set(spec.outputs);
  const inputSet = new Set(spec.inputs);
  const present = new Set([...reads, ...produced]);
  return withChanges(model, {
    trainingInfo: [],
    graph: withChanges(graph, {
      name: spec.name,
      node: [
        ...(spec.prologue ?? []),
        ...spec.nodes.map((node) => index.nodes[node]!),
        ...(spec.epilogue ?? []),
      ],
      initializer: graph.initializer.filter((tensor) => reads.has(tensor.name) && !inputSet.has(tensor.name)),
      sparseInitializer: graph.sparseInitializer.filter(
        (sparse) => reads.has(sparse.values?.name ?? '') && !inputSet.has(sparse.values?.name ?? ''),
      ),
      input: spec.inputs.map((name) => declared(name, 'input')),
      output: spec.outputs.map((name) => declared(name, 'output')),
      valueInfo: graph.valueInfo.filter((info) => produced.has(info.name) && !outputSet.has(info.name)),
      quantizationAnnotation: graph.quantizationAnnotation.filter((annotation) =>
        present.has(annotation.tensorName),
      ),
    }),
  });
}
