import { InvalidArgumentError } from '@pcee/core';
import { ancestorNodes, type GraphIndex, indexGraph, inGraphOrder } from './graph-index.js';
import type { ModelProto } from './onnx-proto.js';
import { buildSubgraphModel } from './subgraph-model.js';
import { declaredTensorTypes, type TensorTypes } from './tensor-types.js';

/** A model pruned to some outputs, with what it kept. */
export interface PrunedModel {
  readonly model: ModelProto;
  /** Model inputs the kept nodes read, in the source's input order. */
  readonly inputs: readonly string[];
  /** Source-graph node indices kept (constants included), in graph order. */
  readonly nodes: readonly number[];
  readonly index: GraphIndex;
}

/**
 * The graph that computes `outputs` alone: every node they do not need is dropped (for
 * `full.onnx`, the intermediate exit heads), and so are unread inputs and weights. Output
 * types come from the graph's declarations, or from `types` for an inner tensor.
 *
 * @throws InvalidArgumentError for an output name the graph does not compute.
 */
export function pruneToOutputs(
  model: ModelProto,
  outputs: readonly string[],
  types?: TensorTypes,
): PrunedModel {
  const index = indexGraph(model);
  for (const output of outputs) {
    if (!index.producer.has(output)) {
      throw new InvalidArgumentError(
        `no node computes "${output}"; the graph's outputs are: ${index.graph.output.map((o) => o.name).join(', ')}`,
      );
    }
  }
  const nodes = inGraphOrder(index, ancestorNodes(index, outputs));
  const read = new Set(nodes.flatMap((node) => index.nodeInputs[node]!));
  const inputs = index.inputs.map((input) => input.name).filter((name) => read.has(name));
  const allTypes = new Map(declaredTensorTypes(model));
  for (const [name, type] of types ?? []) if (!allTypes.has(name)) allTypes.set(name, type);
  const pruned = buildSubgraphModel(
    index,
    { name: index.graph.name || 'model', nodes, inputs, outputs },
    allTypes,
  );
  return { model: pruned, inputs, nodes, index };
}

/** `pruneToOutputs` for one output: the graph of one exit alone (`full.onnx` for the last exit). */
export function pruneToOutput(model: ModelProto, output: string, types?: TensorTypes): PrunedModel {
  return pruneToOutputs(model, [output], types);
}
