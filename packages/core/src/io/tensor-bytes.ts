import { InvalidArgumentError } from '../errors/index.js';
import { narrowBfloat16, widenBfloat16 } from './bfloat16.js';
import { HOST_IS_LITTLE_ENDIAN, swapBytes } from './byte-order.js';
import { narrowFloat16, widenFloat16 } from './float16.js';
import { storedBytesOf, type TensorData, type TensorDtype, tensorArrayOf } from './tensor.js';

/**
 * Decodes `count` elements stored as `dtype` at the start of `bytes` into tensor data.
 *
 * Zero copy when possible: on a host of the file's byte order, with the bytes aligned to the
 * element width, the result is a view over `bytes`' buffer. Misaligned data is copied once;
 * float16/bfloat16 are widened to a new `Float32Array` in one pass.
 *
 * @param bytes at least `count × storedBytesOf(dtype)` bytes (the caller checks the length)
 * @param littleEndian byte order of the stored elements (ignored for 1-byte dtypes)
 */
export function decodeTensorData(
  bytes: Uint8Array,
  dtype: TensorDtype,
  count: number,
  littleEndian: boolean,
): TensorData {
  const itemSize = storedBytesOf(dtype);
  let raw = bytes.subarray(0, count * itemSize);
  if (itemSize > 1 && littleEndian !== HOST_IS_LITTLE_ENDIAN) raw = swapBytes(raw, itemSize);
  // Typed-array views need an offset that is a multiple of the element width.
  // Copy with the constructor, not .slice(): a Node Buffer's slice() is a view, not a copy.
  if (raw.byteOffset % itemSize !== 0) raw = new Uint8Array(raw);
  if (dtype === 'float16' || dtype === 'bfloat16') {
    const halves = new Uint16Array(raw.buffer, raw.byteOffset, count);
    return dtype === 'float16' ? widenFloat16(halves) : widenBfloat16(halves);
  }
  const ArrayType = tensorArrayOf(dtype);
  return new ArrayType(raw.buffer as ArrayBuffer, raw.byteOffset, count);
}

/**
 * Encodes tensor data as little-endian `dtype` elements, narrowing float32 data back to
 * float16/bfloat16 when `dtype` says so.
 *
 * @returns bytes that may share memory with `data` (no copy on little-endian hosts)
 * @throws InvalidArgumentError when `data` is not the array type of `dtype`
 */
export function encodeTensorData(data: TensorData, dtype: TensorDtype): Uint8Array {
  let stored: TensorData = data;
  if (dtype === 'float16' || dtype === 'bfloat16') {
    if (!(data instanceof Float32Array || data instanceof Float64Array)) {
      throw new InvalidArgumentError(`a ${dtype} tensor needs float data, got ${data.constructor.name}`);
    }
    stored = dtype === 'float16' ? narrowFloat16(data) : narrowBfloat16(data);
  } else if (!(data instanceof tensorArrayOf(dtype))) {
    throw new InvalidArgumentError(
      `a ${dtype} tensor needs its data in a ${tensorArrayOf(dtype).name}, got ${data.constructor.name}`,
    );
  }
  const bytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
  const itemSize = storedBytesOf(dtype);
  return itemSize > 1 && !HOST_IS_LITTLE_ENDIAN ? swapBytes(bytes, itemSize) : bytes;
}
