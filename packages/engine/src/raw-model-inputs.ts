import { InvalidFileError, type Tensor } from '@pcee/core';
import type { RawModelInputs } from './profile-fit.js';

/**
 * Raw model inputs from the arrays of an inputs file (an .npz): every array except `labels` is a
 * model input, named after it (`x` for a one-input model), and the optional `labels` become
 * integers. `limit` keeps the first N samples, as views (no copy). Every array must hold the
 * same number of samples.
 *
 * @param source the file's name in messages.
 * @throws InvalidFileError when there is no input array, or the arrays or labels disagree on the
 *   number of samples.
 */
export function rawModelInputs(
  tensors: ReadonlyMap<string, Tensor>,
  source: string,
  limit?: number,
): RawModelInputs {
  const named = [...tensors.entries()].filter(([key]) => key !== 'labels');
  if (named.length === 0) {
    throw new InvalidFileError(
      `${source} holds no input arrays (it holds: ${[...tensors.keys()].join(', ') || 'nothing'}); save inputs with np.savez(path, x=images, labels=labels), or one array per model input named after it`,
    );
  }
  const [firstName, first] = named[0]!;
  const total = first.shape[0] ?? 0;
  for (const [key, tensor] of named) {
    if (tensor.shape[0] !== total) {
      throw new InvalidFileError(
        `${source}: "${key}" has ${tensor.shape[0] ?? 'no'} samples but "${firstName}" has ${total}; every input array needs the same first dimension`,
      );
    }
  }
  const count = Math.min(limit ?? total, total);
  const arrays = new Map(named.map(([key, tensor]) => [key, firstRows(tensor, count)]));
  const labelTensor = tensors.get('labels');
  if (!labelTensor) return { arrays, samples: count };
  if (labelTensor.shape.length !== 1 || labelTensor.shape[0] !== total) {
    throw new InvalidFileError(
      `${source}: labels have shape [${labelTensor.shape.join(', ')}] but "${firstName}" has ${total} samples; labels must be [${total}]`,
    );
  }
  const labels = Int32Array.from(labelTensor.data.subarray(0, count) as ArrayLike<number | bigint>, (value) =>
    Number(value),
  );
  return { arrays, samples: count, labels };
}

/** The first `count` samples of a tensor, as a view of its data. */
function firstRows(tensor: Tensor, count: number): Tensor {
  const perSample = tensor.shape.slice(1).reduce((product, dimension) => product * dimension, 1);
  return {
    ...tensor,
    shape: [count, ...tensor.shape.slice(1)],
    data: tensor.data.subarray(0, count * perSample) as Tensor['data'],
  };
}
