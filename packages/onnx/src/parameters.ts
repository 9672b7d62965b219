import { dtypeOfElementType, isFloatingDtype } from './dtypes.js';
import type { ModelProto, TensorProto } from './onnx-proto.js';

/**
 * Parameters of a model: the element count of its floating-point initializers (weights,
 * biases, embeddings, normalisation scales). Integer initializers are shapes and indices, not
 * learned weights, and are not counted. BatchNorm folded into a convolution at export counts
 * as the convolution's bias (C) rather than BatchNorm's scale and shift (2C).
 */
export function countParameters(model: ModelProto): number {
  return floatInitializers([model]).reduce((sum, tensor) => sum + tensorElements(tensor), 0);
}

/**
 * Parameters of several models cut from one graph, each weight counted once: a weight two
 * stages share is stored in both files but is one parameter of the model.
 */
export function countDistinctParameters(models: readonly ModelProto[]): number {
  const seen = new Set<string>();
  let total = 0;
  for (const tensor of floatInitializers(models)) {
    if (seen.has(tensor.name)) continue;
    seen.add(tensor.name);
    total += tensorElements(tensor);
  }
  return total;
}

function floatInitializers(models: readonly ModelProto[]): TensorProto[] {
  return models
    .flatMap((model) => [
      ...(model.graph?.initializer ?? []),
      ...(model.graph?.sparseInitializer ?? []).flatMap((sparse) => (sparse.values ? [sparse.values] : [])),
    ])
    .filter((tensor) => isFloatingDtype(dtypeOfElementType(tensor.dataType)));
}

function tensorElements(tensor: TensorProto): number {
  return tensor.dims.reduce((product, dimension) => product * Number(dimension), 1);
}
