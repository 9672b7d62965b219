import { InvalidInputError } from '../errors/index.js';
import type { Tensor } from '../io/index.js';
import type { ModelTensorDtype } from './model-manifest-types.js';

/**
 * Storage of a stage tensor's elements: `float16` as raw IEEE half bits in a `Uint16Array`,
 * `bool` as 0/1 in a `Uint8Array`, `int64` as a `BigInt64Array` (what onnxruntime takes).
 */
export type StageTensorData =
  | Float32Array
  | Float64Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int8Array
  | Uint8Array;

/**
 * A model input or a carried tensor, batch dimension first: a `Tensor` of one of the dtypes a
 * model carries, float16 as raw half bits (`Uint16Array`, what runtimes take; `Tensor` read
 * from a file widens float16 to `Float32Array` for maths).
 */
export type StageTensor<Data extends StageTensorData = StageTensorData> = Tensor<ModelTensorDtype, Data>;

/** A float32 tensor, such as an exit's logits. */
export type Float32StageTensor = StageTensor<Float32Array>;

/** Named tensors, by their names in the model package (model inputs, carried tensors). */
export type TensorMap = Readonly<Record<string, StageTensor>>;

/** A new zeroed array of the storage type of `dtype` (see `StageTensorData`). */
export function allocateStageData(dtype: ModelTensorDtype, length: number): StageTensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'float16':
      return new Uint16Array(length);
    case 'int64':
      return new BigInt64Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'int8':
      return new Int8Array(length);
    case 'uint8':
    case 'bool':
      return new Uint8Array(length);
  }
}

/** Whether a value is a single stage tensor (rather than a map of them). */
export function isStageTensor(value: unknown): value is StageTensor {
  const candidate = value as Partial<StageTensor> | null;
  return ArrayBuffer.isView(candidate?.data) && Array.isArray(candidate?.shape);
}

/** Values per sample of a batch-first tensor (the product of every dimension after the batch). */
export function rowSize(tensor: StageTensor): number {
  return tensor.shape.slice(1).reduce((product, dimension) => product * dimension, 1);
}

/** Rows `[from, to)` of a batch-first tensor, as a view (no copy). */
export function sliceRows<T extends StageTensor>(tensor: T, from: number, to: number): T {
  const size = rowSize(tensor);
  return {
    ...tensor,
    data: tensor.data.subarray(from * size, to * size),
    shape: [to - from, ...tensor.shape.slice(1)],
  };
}

/** The given rows (the first `count` of `rows`) of a batch-first tensor, gathered into a new one. */
export function gatherRows<T extends StageTensor>(tensor: T, rows: Int32Array, count: number): T {
  const size = rowSize(tensor);
  const data = allocateStageData(tensor.dtype, count * size);
  for (let index = 0; index < count; index++) {
    const start = rows[index]! * size;
    copyRow(data, tensor.data, start, size, index * size);
  }
  return { ...tensor, data, shape: [count, ...tensor.shape.slice(1)] };
}

/**
 * Batch-first tensors stacked along the batch (e.g. samples of several requests joining
 * one stage batch). Every part must have the same dtype and per-sample dims.
 *
 * @throws InvalidInputError naming the first part that does not fit.
 */
export function concatRows(parts: readonly StageTensor[]): StageTensor {
  const first = parts[0];
  if (!first) throw new InvalidInputError('concatRows needs at least one tensor');
  if (parts.length === 1) return first;
  const tail = first.shape.slice(1).join(', ');
  let rows = 0;
  for (const [index, part] of parts.entries()) {
    if (part.dtype !== first.dtype || part.shape.slice(1).join(', ') !== tail) {
      throw new InvalidInputError(
        `cannot batch tensor ${index} (${part.dtype} [${part.shape.join(', ')}]) with ${first.dtype} [N, ${tail}]: every sample of a batch needs the same dtype and shape`,
      );
    }
    rows += part.shape[0]!;
  }
  const data = allocateStageData(first.dtype, rows * rowSize(first));
  let offset = 0;
  for (const part of parts) {
    copyRow(data, part.data, 0, part.data.length, offset);
    offset += part.data.length;
  }
  return { dtype: first.dtype, data, shape: [rows, ...first.shape.slice(1)] };
}

/** `sliceRows` on every tensor of a map. */
export function sliceTensorMap(tensors: TensorMap, from: number, to: number): TensorMap {
  return mapTensors(tensors, (tensor) => sliceRows(tensor, from, to));
}

/** `gatherRows` on every tensor of a map. */
export function gatherTensorMap(tensors: TensorMap, rows: Int32Array, count: number): TensorMap {
  return mapTensors(tensors, (tensor) => gatherRows(tensor, rows, count));
}

/**
 * The batch size shared by every tensor of a map.
 *
 * @throws InvalidInputError when the map is empty or two tensors disagree, naming both.
 */
export function batchSizeOf(tensors: TensorMap): number {
  let batch: number | undefined;
  let firstName = '';
  for (const [name, tensor] of Object.entries(tensors)) {
    const rows = tensor.shape[0];
    if (rows === undefined) throw new InvalidInputError(`tensor "${name}" has no batch dimension (dims [])`);
    if (batch === undefined) [batch, firstName] = [rows, name];
    else if (rows !== batch) {
      throw new InvalidInputError(
        `tensor "${name}" has ${rows} samples but "${firstName}" has ${batch}; every input needs the same number of samples`,
      );
    }
  }
  if (batch === undefined) throw new InvalidInputError('no input tensors were given');
  return batch;
}

function mapTensors(tensors: TensorMap, map: (tensor: StageTensor) => StageTensor): TensorMap {
  const out: Record<string, StageTensor> = {};
  for (const [name, tensor] of Object.entries(tensors)) out[name] = map(tensor);
  return out;
}

/** Copies `length` elements of `source` from `start` into `target` at `offset` (same storage type). */
function copyRow(
  target: StageTensorData,
  source: StageTensorData,
  start: number,
  length: number,
  offset: number,
) {
  (target as Float32Array).set((source as Float32Array).subarray(start, start + length), offset);
}
