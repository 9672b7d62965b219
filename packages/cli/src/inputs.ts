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
import { nativeCrc32 } from './native-crc32.js';

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
  return parseProfile(await readInputText(path, 'profile'), basename(path));
}

/** Inputs for a model: `x` (raw values, e.g. uint8 pixels) and optional integer `labels`. */
export interface ModelInputs {
  readonly x: Tensor;
  readonly labels?: Int32Array;
}

/** Reads an inputs .npz holding `x` and optionally `labels`; `limit` keeps the first N samples. */
export async function loadInputs(path: string, limit?: number): Promise<ModelInputs> {
  const tensors = readNpz(await readInputFile(path, 'inputs file'), { crc32: nativeCrc32 });
  const x = tensors.get('x');
  if (!x) {
    throw new InvalidFileError(
      `${basename(path)} has no tensor "x" (it holds: ${[...tensors.keys()].join(', ') || 'nothing'}); save inputs with np.savez(path, x=images, labels=labels)`,
    );
  }
  const count = Math.min(limit ?? x.shape[0]!, x.shape[0]!);
  const perSample = x.shape.slice(1).reduce((product, dimension) => product * dimension, 1);
  const limited: Tensor = {
    ...x,
    shape: [count, ...x.shape.slice(1)],
    data: x.data.subarray(0, count * perSample) as Tensor['data'],
  };
  const labelTensor = tensors.get('labels');
  if (!labelTensor) return { x: limited };
  if (labelTensor.shape.length !== 1 || labelTensor.shape[0] !== x.shape[0]) {
    throw new InvalidFileError(
      `${basename(path)}: labels have shape [${labelTensor.shape.join(', ')}] but x has ${x.shape[0]} samples; labels must be [${x.shape[0]}]`,
    );
  }
  const labels = Int32Array.from(labelTensor.data.subarray(0, count) as ArrayLike<number | bigint>, (value) =>
    Number(value),
  );
  return { x: limited, labels };
}
