import { basename } from 'node:path';
import { InvalidInputError, readNpz, type Tensor } from '@pcee/core';
import type { ModelInput } from '@pcee/onnx';
import { readInputFile } from '../files.js';

/**
 * Sample inputs for verifying a split, from an .npz whose arrays are named after the model's
 * inputs (`x` also names the input of a single-input model): the model's dtypes, the batch
 * first, static dimensions as declared; extra arrays (e.g. `labels`) are ignored.
 */
export async function loadSplitInputs(
  path: string,
  inputs: readonly ModelInput[],
): Promise<Map<string, Tensor>> {
  return inputsFromArrays(readNpz(await readInputFile(path, 'inputs file')), inputs, basename(path));
}

/** `loadSplitInputs` on arrays already read from `file` (an .npz). */
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
