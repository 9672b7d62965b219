import { InvalidInputError, type Tensor } from '@pcee/core';
import type { ModelInput } from '@pcee/onnx';

/**
 * Model inputs from arrays read from `file` (an .npz) whose arrays are named after the model's
 * inputs (`x` also names the input of a single-input model): the model's dtypes, the batch
 * first, static dimensions as declared; extra arrays (e.g. `labels`) are ignored. What a split
 * is verified on, and what exit heads are trained on.
 *
 * @throws InvalidInputError naming the array and the model input when one is missing, of another
 *   dtype or shape, or the arrays disagree on the number of samples.
 */
export function inputsFromArrays(
  arrays: ReadonlyMap<string, Tensor>,
  inputs: readonly ModelInput[],
  file: string,
): Map<string, Tensor> {
  const result = new Map<string, Tensor>();
  let batch: number | undefined;
  for (const input of inputs) {
    const tensor = arrays.get(input.name) ?? (inputs.length === 1 ? arrays.get('x') : undefined);
    if (!tensor) {
      throw new InvalidInputError(
        `${file} has no array "${input.name}" (it holds: ${[...arrays.keys()].join(', ') || 'nothing'}); save one array per model input: np.savez(path, ${inputs.map((i) => `${i.name}=…`).join(', ')})`,
      );
    }
    if (tensor.dtype !== input.dtype) {
      throw new InvalidInputError(
        `${file}: "${input.name}" is ${tensor.dtype} but the model input is ${input.dtype}; save it as ${input.dtype} (preprocessed as the model expects)`,
      );
    }
    const fits =
      tensor.shape.length === input.shape.length &&
      input.shape.every(
        (dimension, axis) => axis === 0 || typeof dimension !== 'number' || tensor.shape[axis] === dimension,
      );
    if (!fits) {
      throw new InvalidInputError(
        `${file}: "${input.name}" has shape [${tensor.shape.join(', ')}] but the model input is [${input.shape.join(', ')}]`,
      );
    }
    if (batch !== undefined && tensor.shape[0] !== batch) {
      throw new InvalidInputError(
        `${file}: the arrays have different sample counts (${batch} and ${tensor.shape[0]})`,
      );
    }
    batch = tensor.shape[0];
    result.set(input.name, tensor);
  }
  return result;
}
