import { type Tensor, type TensorData, tensorArrayOf } from '@pcee/core';
import { BadRequestError } from '../errors/serve-error.js';
import { dtypeOfOip, type OipDatatype } from './datatypes.js';

/** Deepest nesting of `data` arrays accepted (a tensor of rank 8 nests 8 deep). */
const MAX_NESTING = 8;

/**
 * Above this many elements the values are counted before the array is allocated: a shape with
 * a huge dynamic dimension (`[1, 1000000000]`) must not allocate gigabytes for a few values.
 */
const COUNT_FIRST_ABOVE = 1 << 20;

const INTEGER_RANGES: Partial<Record<OipDatatype, readonly [number, number]>> = {
  UINT8: [0, 255],
  UINT16: [0, 65_535],
  UINT32: [0, 4_294_967_295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32_768, 32_767],
  INT32: [-2_147_483_648, 2_147_483_647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/**
 * Reads the `data` of one OIP request input into a dense row-major tensor: flat or nested
 * arrays (nesting is flattened in order, as the protocol allows), every element checked
 * against the datatype (finite numbers for FP*, integers in range for INT and UINT, booleans
 * or 0/1 for BOOL) and the element count checked against `shape`.
 *
 * @param name the input's name, for messages.
 * @throws BadRequestError naming the input, the element index and the fix.
 */
export function readTensorData(
  name: string,
  datatype: OipDatatype,
  shape: readonly number[],
  data: unknown,
): Tensor {
  const count = shape.reduce((product, dimension) => product * dimension, 1);
  if (!Array.isArray(data)) {
    throw new BadRequestError(
      `input "${name}" has no "data" array; send its ${count} values as a flat JSON array in row-major order`,
    );
  }
  if (count > COUNT_FIRST_ABOVE) {
    const sent = countValues(data, 1);
    if (sent !== count) {
      throw new BadRequestError(
        `input "${name}" has ${sent} values but its shape [${shape.join(', ')}] needs ${count}; make "shape" and "data" agree`,
      );
    }
  }
  const dtype = dtypeOfOip(datatype);
  const values = new (tensorArrayOf(dtype))(count) as TensorData;
  const range = INTEGER_RANGES[datatype];
  let index = 0;
  const store = (value: unknown): void => {
    if (index >= count) {
      throw new BadRequestError(
        `input "${name}" has more values than its shape [${shape.join(', ')}] holds (${count}); make "shape" and "data" agree`,
      );
    }
    values[index] = convert(value, index) as never;
    index++;
  };
  const convert = (value: unknown, at: number): number | bigint => {
    if (datatype === 'BOOL') {
      if (value === true || value === 1) return 1;
      if (value === false || value === 0) return 0;
      throw elementError(name, at, value, 'a boolean');
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw elementError(name, at, value, 'a finite number');
    }
    if (range) {
      if (!Number.isInteger(value) || value < range[0] || value > range[1]) {
        throw elementError(name, at, value, `an integer in [${range[0]}, ${range[1]}] (${datatype})`);
      }
      return datatype === 'INT64' || datatype === 'UINT64' ? BigInt(value) : value;
    }
    return value;
  };
  const walk = (array: readonly unknown[], depth: number): void => {
    if (depth > MAX_NESTING) {
      throw new BadRequestError(
        `input "${name}" nests "data" deeper than ${MAX_NESTING} levels; send it flat in row-major order`,
      );
    }
    for (const element of array) {
      if (Array.isArray(element)) walk(element, depth + 1);
      else store(element);
    }
  };
  walk(data, 1);
  if (index !== count) {
    throw new BadRequestError(
      `input "${name}" has ${index} values but its shape [${shape.join(', ')}] needs ${count}; make "shape" and "data" agree`,
    );
  }
  return { dtype, shape: [...shape], data: values };
}

/** Leaves of nested arrays, at most MAX_NESTING deep (deeper nesting is refused when read). */
function countValues(array: readonly unknown[], depth: number): number {
  let count = 0;
  for (const element of array) {
    count += Array.isArray(element) && depth < MAX_NESTING ? countValues(element, depth + 1) : 1;
  }
  return count;
}

function elementError(name: string, at: number, value: unknown, expected: string): BadRequestError {
  const shown = typeof value === 'string' ? JSON.stringify(value).slice(0, 40) : String(value).slice(0, 40);
  return new BadRequestError(
    `value ${at} of input "${name}" is ${shown}, not ${expected}; send only valid values (NaN and Infinity are not accepted)`,
  );
}
