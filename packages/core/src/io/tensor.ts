import { InvalidArgumentError } from '../errors/index.js';

/**
 * Element types a {@link Tensor} can come from. `float16` and `bfloat16` are widened to
 * `Float32Array` in memory; the dtype still records the source so a writer can narrow back.
 */
export type TensorDtype =
  | 'float16'
  | 'bfloat16'
  | 'float32'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool';

/** Floating-point dtypes (float16 and bfloat16 are widened to float32 in memory). */
export const FLOAT_DTYPES: readonly TensorDtype[] = ['float16', 'bfloat16', 'float32', 'float64'];

/** Integer dtypes, signed then unsigned. */
export const INTEGER_DTYPES: readonly TensorDtype[] = [
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
];

/** Every supported dtype, in a stable order (for messages and tests). */
export const TENSOR_DTYPES: readonly TensorDtype[] = [...FLOAT_DTYPES, ...INTEGER_DTYPES, 'bool'];

/** In-memory storage of a tensor's elements (see {@link tensorArrayOf} for the dtype mapping). */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/**
 * A dense row-major (C order) n-dimensional array.
 *
 * Invariants: `data.length` equals the product of `shape` (1 for rank 0), and `data` is the
 * array type {@link tensorArrayOf} gives for `dtype`: float16/bfloat16 → `Float32Array`,
 * int64 → `BigInt64Array`, uint64 → `BigUint64Array`, bool → `Uint8Array` holding 0 or 1.
 * Readers may return `data` as a view over the bytes they were given (no copy), so
 * mutating those bytes afterwards mutates the tensor.
 *
 * The one tensor type of PCEE: files and maths use it as is; what stages take and give is
 * the same type narrowed to the dtypes a model carries (`StageTensor`), where float16 stays as
 * raw half bits (`Uint16Array`) because that is what runtimes take.
 */
export interface Tensor<Dtype extends string = TensorDtype, Data extends TensorData = TensorData> {
  /** Element type. */
  readonly dtype: Dtype;
  /** Dimensions, each a non-negative integer; `[]` is a scalar. */
  readonly shape: readonly number[];
  /** Elements in row-major order. */
  readonly data: Data;
}

/** Constructor of a typed array, as used to allocate or view tensor data. */
export type TensorArrayConstructor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | BigUint64ArrayConstructor;

const ARRAY_OF: Record<TensorDtype, TensorArrayConstructor> = {
  float16: Float32Array,
  bfloat16: Float32Array,
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

const STORED_BYTES: Record<TensorDtype, number> = {
  float16: 2,
  bfloat16: 2,
  float32: 4,
  float64: 8,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  bool: 1,
};

/** The typed array that holds a dtype in memory (float16/bfloat16 → `Float32Array`). */
export function tensorArrayOf(dtype: TensorDtype): TensorArrayConstructor {
  return ARRAY_OF[dtype];
}

/** Bytes one element of `dtype` takes in a file (2 for float16/bfloat16, 1 for bool). */
export function storedBytesOf(dtype: TensorDtype): number {
  return STORED_BYTES[dtype];
}

/** Number of elements of a shape: the product of its dimensions, 1 for a scalar. */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dimension of shape) count *= dimension;
  return count;
}

/**
 * Builds a tensor after checking the invariants of {@link Tensor}.
 *
 * @throws InvalidArgumentError when a dimension is not a non-negative integer, `data` is not
 *   the array type of `dtype`, or its length does not match `shape`.
 */
export function createTensor(dtype: TensorDtype, shape: readonly number[], data: TensorData): Tensor {
  const expected = ARRAY_OF[dtype];
  if (expected === undefined) {
    throw new InvalidArgumentError(`unknown tensor dtype "${dtype}"; use one of ${TENSOR_DTYPES.join(', ')}`);
  }
  for (const dimension of shape) {
    if (!Number.isSafeInteger(dimension) || dimension < 0) {
      throw new InvalidArgumentError(
        `tensor shape [${shape.join(', ')}] has an invalid dimension ${dimension}`,
      );
    }
  }
  if (!(data instanceof expected)) {
    throw new InvalidArgumentError(
      `a ${dtype} tensor needs its data in a ${expected.name}, got ${data.constructor.name}`,
    );
  }
  const count = elementCount(shape);
  if (data.length !== count) {
    throw new InvalidArgumentError(
      `tensor of shape [${shape.join(', ')}] needs ${count} elements but its data holds ${data.length}`,
    );
  }
  return { dtype, shape: [...shape], data };
}

/** Formats a shape for messages: `[2, 3]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Rows `[from, to)` of a batch-first tensor, as a view of its data (no copy). */
export function sliceBatch(tensor: Tensor, from: number, to: number): Tensor {
  const perRow = elementCount(tensor.shape.slice(1));
  return createTensor(
    tensor.dtype,
    [to - from, ...tensor.shape.slice(1)],
    tensor.data.subarray(from * perRow, to * perRow),
  );
}
