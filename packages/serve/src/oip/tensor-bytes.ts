import {
  decodeTensorData,
  encodeTensorData,
  storedBytesOf,
  type Tensor,
  type TensorData,
  tensorArrayOf,
} from '@pcee/core';
import { BadRequestError } from '../errors/serve-error.js';
import { dtypeOfOip, type OipDatatype } from './datatypes.js';

/**
 * Reads one input sent as raw bytes (the REST binary extension's section, or gRPC's
 * `raw_input_contents`): little-endian, row-major, no padding, BOOL one byte per element.
 * The byte count must be exactly what `shape` and `datatype` need, and the values pass the
 * same checks as JSON data (finite floats, BOOL 0 or 1), so a binary request is answered
 * exactly as the same request in JSON.
 *
 * @param name the input's name, for messages.
 * @returns a tensor whose data may view `bytes` (no copy when aligned).
 * @throws BadRequestError naming the input, the sizes and the fix.
 */
export function readTensorBytes(
  name: string,
  datatype: OipDatatype,
  shape: readonly number[],
  bytes: Uint8Array,
): Tensor {
  const dtype = dtypeOfOip(datatype);
  const count = shape.reduce((product, dimension) => product * dimension, 1);
  const itemSize = storedBytesOf(dtype);
  if (bytes.byteLength !== count * itemSize) {
    throw new BadRequestError(
      `input "${name}" has ${bytes.byteLength} bytes of binary data, but shape [${shape.join(', ')}] of ${datatype} needs ${count * itemSize} (${count} × ${itemSize} bytes); make "shape", "datatype" and the data agree`,
    );
  }
  if (datatype === 'BOOL') {
    const at = bytes.findIndex((byte) => byte > 1);
    if (at >= 0) {
      throw new BadRequestError(
        `value ${at} of input "${name}" is the byte ${bytes[at]}, not a BOOL (0 or 1); send one byte per element`,
      );
    }
  }
  const data = decodeTensorData(bytes, dtype, count, true);
  if (datatype === 'FP16' || datatype === 'FP32' || datatype === 'FP64') {
    const values = data as Float32Array | Float64Array;
    for (let index = 0; index < values.length; index++) {
      if (!Number.isFinite(values[index]!)) {
        throw new BadRequestError(
          `value ${index} of input "${name}" is ${values[index]}, not a finite number; send only valid values (NaN and Infinity are not accepted)`,
        );
      }
    }
  }
  return { dtype, shape: [...shape], data };
}

/**
 * Encodes output values as the raw little-endian bytes of `datatype` (the binary extension's
 * section, gRPC's `raw_output_contents`): numbers are converted to the datatype's element
 * type (INT64 as 64-bit integers, FP32 rounded to float32), BOOL is one byte per element.
 *
 * @param values integral where `datatype` is an integer type (exits, classes, 0/1 flags).
 */
export function encodeTensorBytes(datatype: OipDatatype, values: ArrayLike<number>): Uint8Array {
  const dtype = dtypeOfOip(datatype);
  const ArrayType = tensorArrayOf(dtype);
  let data: TensorData;
  if (ArrayType === BigInt64Array || ArrayType === BigUint64Array) {
    data = new ArrayType(values.length);
    for (let index = 0; index < values.length; index++) data[index] = BigInt(values[index]!);
  } else {
    data = (ArrayType as Float64ArrayConstructor).from(values as ArrayLike<number>);
  }
  return encodeTensorData(data, dtype);
}
