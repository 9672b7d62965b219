import { InvalidInputError, type StageTensor } from '@pcee/core';
import type { InferenceSession } from 'onnxruntime-node';

/**
 * Checks a tensor against an ONNX graph input before running it, so a wrong shape or dtype
 * is an `InvalidInputError` naming both shapes instead of an onnxruntime stack message.
 * Symbolic dimensions (the dynamic batch) accept any size ≥ 1.
 *
 * @param what names the input in messages, e.g. `stage 2 of model "fmnist-cnn-large"`.
 */
export function checkInput(
  tensor: StageTensor,
  metadata: InferenceSession.ValueMetadata | undefined,
  what: string,
): void {
  if (!(tensor.data instanceof Float32Array)) {
    const type = (tensor.data as object)?.constructor?.name ?? typeof tensor.data;
    throw new InvalidInputError(`${what} expects float32 data (a Float32Array), got ${type}`);
  }
  const elements = tensor.dims.reduce((product, dimension) => product * dimension, 1);
  if (tensor.dims.some((dimension) => !Number.isInteger(dimension) || dimension < 1)) {
    throw new InvalidInputError(`${what} got dims [${tensor.dims.join(', ')}]; every dimension must be ≥ 1`);
  }
  if (elements !== tensor.data.length) {
    throw new InvalidInputError(
      `${what} got dims [${tensor.dims.join(', ')}] (${elements} values) but ${tensor.data.length} values`,
    );
  }
  if (!metadata?.isTensor) return;
  if (metadata.type !== 'float32') {
    throw new InvalidInputError(
      `${what} has an ONNX input of type ${metadata.type}; PCEE stages take float32`,
    );
  }
  const expected = metadata.shape;
  const fits =
    expected.length === tensor.dims.length &&
    expected.every((dimension, axis) => typeof dimension !== 'number' || dimension === tensor.dims[axis]);
  if (!fits) {
    const shown = expected.map((dimension) => (typeof dimension === 'number' ? dimension : 'N'));
    throw new InvalidInputError(
      `${what} expects input "${metadata.name}" of shape [${shown.join(', ')}] but got [${tensor.dims.join(', ')}]`,
    );
  }
}
