import { dtypeOfElementType, isFloatingDtype } from './dtypes.js';
import type { ModelProto, TensorProto } from './onnx-proto.js';

/**
 * Parameters of a model: the element count of its floating-point weights: initializers
 * (weights, biases, embeddings, normalisation scales) and the `Identity` copies of them that
 * torch.onnx.export writes when two parameters are equal (it keeps one initializer and aliases
 * the other, e.g. freshly initialised LayerNorms). Integer initializers are shapes and indices,
 * not learned weights, and are not counted. BatchNorm folded into a convolution at export counts
 * as the convolution's bias (C) rather than BatchNorm's scale and shift (2C), so the count of a
 * CNN is a little below PyTorch's `numel()` sum.
 */
export function countParameters(model: ModelProto): number {
  return weights(model).reduce((sum, [, count]) => sum + count, 0);
}

/**
 * Parameters of several models cut from one graph, each weight counted once: a weight two
 * stages share is stored in both files but is one parameter of the model.
 */
export function countDistinctParameters(models: readonly ModelProto[]): number {
  const counts = new Map<string, number>();
  for (const model of models) for (const [name, count] of weights(model)) counts.set(name, count);
  return [...counts.values()].reduce((sum, count) => sum + count, 0);
}

/** `[name, element count]` of every floating-point weight of the main graph. */
function weights(model: ModelProto): [string, number][] {
  const graph = model.graph;
  if (!graph) return [];
  const tensors = [
    ...graph.initializer,
    ...graph.sparseInitializer.flatMap((sparse) => (sparse.values ? [sparse.values] : [])),
  ].filter((tensor) => isFloatingDtype(dtypeOfElementType(tensor.dataType)));
  const byName = new Map(tensors.map((tensor) => [tensor.name, tensorElements(tensor)]));
  const aliases = graph.node
    .filter((node) => node.opType === 'Identity' && node.domain === '' && byName.has(node.input[0] ?? ''))
    .map((node): [string, number] => [node.output[0]!, byName.get(node.input[0]!)!]);
  return [...byName, ...aliases];
}

function tensorElements(tensor: TensorProto): number {
  return tensor.dims.reduce((product, dimension) => product * Number(dimension), 1);
}
