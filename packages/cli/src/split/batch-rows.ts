import { createTensor, type Tensor } from '@pcee/core';

/** Rows `[from, to)` of a batch-first tensor, as a view (no copy). */
export function sliceBatch(tensor: Tensor, from: number, to: number): Tensor {
  const perRow = tensor.shape.slice(1).reduce((product, dimension) => product * dimension, 1);
  return createTensor(
    tensor.dtype,
    [to - from, ...tensor.shape.slice(1)],
    tensor.data.subarray(from * perRow, to * perRow),
  );
}
