import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors/serve-error.js';
import { OIP_DATATYPES, type OipDatatype } from './datatypes.js';
import { encodeTensorBytes, readTensorBytes } from './tensor-bytes.js';

/** Values every datatype holds exactly (FP16 included). */
const VALUES: Record<OipDatatype, number[]> = {
  BOOL: [1, 0, 1, 1],
  UINT8: [0, 255, 7, 128],
  UINT16: [0, 65_535, 300, 1],
  UINT32: [0, 4_294_967_295, 70_000, 1],
  UINT64: [0, 2 ** 53 - 1, 1, 2],
  INT8: [-128, 127, 0, -1],
  INT16: [-32_768, 32_767, 0, -1],
  INT32: [-2_147_483_648, 2_147_483_647, 0, -1],
  INT64: [-(2 ** 53) + 1, 2 ** 53 - 1, 0, -1],
  FP16: [0.5, -2, 65_504, 0.000_061_035_156_25],
  FP32: [0.1, -3.5, 1e30, 0].map(Math.fround),
  FP64: [0.1, -3.5, 1e300, 5e-324],
};

describe('readTensorBytes and encodeTensorBytes', () => {
  it.each(OIP_DATATYPES)('round-trips %s as little-endian bytes of the native width', (datatype) => {
    const bytes = encodeTensorBytes(datatype, VALUES[datatype]);
    const tensor = readTensorBytes('x', datatype, [2, 2], bytes);
    expect(Array.from(tensor.data as ArrayLike<number | bigint>, Number)).toEqual(VALUES[datatype]);
    expect(tensor.shape).toEqual([2, 2]);
  });

  it('reads misaligned bytes (an input after an odd-sized one in the binary section)', () => {
    const buffer = new Uint8Array(17);
    buffer.set(encodeTensorBytes('FP32', [1, 2, 3, 4]), 1);
    expect(Array.from(readTensorBytes('x', 'FP32', [4], buffer.subarray(1)).data as Float32Array)).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it.each<[string, OipDatatype, Uint8Array, RegExp]>([
    [
      'too few bytes for the shape',
      'FP32',
      new Uint8Array(12),
      /has 12 bytes of binary data, but shape \[4\] of FP32 needs 16 \(4 × 4 bytes\)/,
    ],
    ['too many bytes for the shape', 'INT8', new Uint8Array(5), /has 5 bytes .* needs 4/],
    [
      'a BOOL byte that is not 0 or 1',
      'BOOL',
      Uint8Array.from([0, 1, 2, 0]),
      /value 2 of input "x" is the byte 2, not a BOOL/,
    ],
    [
      'Infinity as FP16',
      'FP16',
      encodeTensorBytes('FP16', [0, 0, 0, 1e6]),
      /value 3 of input "x" is Infinity, not a finite number/,
    ],
    ['NaN as FP64', 'FP64', encodeTensorBytes('FP64', [0, Number.NaN, 0, 0]), /value 1 of input "x" is NaN/],
  ])('answers 400 for %s', (_name, datatype, bytes, message) => {
    const read = () => readTensorBytes('x', datatype, [4], bytes);
    expect(read).toThrow(BadRequestError);
    expect(read).toThrow(message);
  });
});
