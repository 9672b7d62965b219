import { basename } from 'node:path';
import {
  type CalibrationProfile,
  InvalidFileError,
  parseProfile,
  readNpz,
  readTraces,
  type Tensor,
  type Traces,
} from '@pcee/core';
import { readInputFile, readInputText } from './files.js';
import { nativeCrc32 } from './native-hashes.js';

/**
 * Reads and validates a traces file (.npz or .safetensors with `logits` and `labels`), read once;
 * the logits of a stored .npz stay a view of the file's bytes (no copy). Every command scores
 * the traces right after (`scoreExits`), which checks that the logits are finite in the same
 * pass, so reading skips its own pass over them.
 */
export async function loadTraces(path: string): Promise<Traces> {
  return readTraces(await readInputFile(path, 'traces file'), basename(path), {
    crc32: nativeCrc32,
    checkFinite: false,
  });
}

/** Reads and validates a calibration profile JSON file. */
export async function loadProfile(path: string): Promise<CalibrationProfile> {
  return parseProfile(await readInputText(path, 'profile'), path);
}

/** Arrays of an inputs file: the model inputs by name (or `x`) and optional integer `labels`. */
export interface ModelInputs {
  /** Every array except `labels`, limited to the first N samples. */
  readonly arrays: ReadonlyMap<string, Tensor>;
  /** Samples kept (after `limit`). */
  readonly samples: number;
  readonly labels?: Int32Array;
}

/**
 * Reads an inputs .npz: arrays named after the model's inputs (`x` for a one-input model)
 * and optionally `labels`; `limit` keeps the first N samples. Every array must hold the
 * same number of samples.
 */
export async function loadInputs(path: string, limit?: number): Promise<ModelInputs> {
  const name = basename(path);
  const tensors = readNpz(await readInputFile(path, 'inputs file'), { crc32: nativeCrc32 });
  const named = [...tensors.entries()].filter(([key]) => key !== 'labels');
  if (named.length === 0) {
    throw new InvalidFileError(
      `${name} holds no input arrays (it holds: ${[...tensors.keys()].join(', ') || 'nothing'}); save inputs with np.savez(path, x=images, labels=labels), or one array per model input named after it`,
    );
  }
  const [firstName, first] = named[0]!;
  const total = first.shape[0] ?? 0;
  for (const [key, tensor] of named) {
    if (tensor.shape[0] !== total) {
      throw new InvalidFileError(
        `${name}: "${key}" has ${tensor.shape[0] ?? 'no'} samples but "${firstName}" has ${total}; every input array needs the same first dimension`,
      );
    }
  }
  const count = Math.min(limit ?? total, total);
  const arrays = new Map(named.map(([key, tensor]) => [key, firstRows(tensor, count)]));
  const labelTensor = tensors.get('labels');
  if (!labelTensor) return { arrays, samples: count };
  if (labelTensor.shape.length !== 1 || labelTensor.shape[0] !== total) {
    throw new InvalidFileError(
      `${name}: labels have shape [${labelTensor.shape.join(', ')}] but "${firstName}" has ${total} samples; labels must be [${total}]`,
    );
  }
  const labels = Int32Array.from(labelTensor.data.subarray(0, count) as ArrayLike<number | bigint>, (value) =>
    Number(value),
  );
  return { arrays, samples: count, labels };
}

function firstRows(tensor: Tensor, count: number): Tensor {
  const perSample = tensor.shape.slice(1).reduce((product, dimension) => product * dimension, 1);
  return {
    ...tensor,
    shape: [count, ...tensor.shape.slice(1)],
    data: tensor.data.subarray(0, count * perSample) as Tensor['data'],
  };
}
