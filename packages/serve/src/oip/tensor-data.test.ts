import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors/serve-error.js';
import type { OipDatatype } from './datatypes.js';
import { readTensorData } from './tensor-data.js';

describe('readTensorData', () => {
  it.each<[string, OipDatatype, number[], unknown, unknown[]]>([
    ['flat UINT8', 'UINT8', [2, 2], [0, 1, 254, 255], [0, 1, 254, 255]],
    [
      'nested UINT8',
      'UINT8',
      [2, 2],
      [
        [0, 1],
        [2, 3],
      ],
      [0, 1, 2, 3],
    ],
    [
      'deeply nested FP32',
      'FP32',
      [1, 2, 2],
      [
        [
          [0.5, -1],
          [2, 3],
        ],
      ],
      [0.5, -1, 2, 3],
    ],
    ['INT64 becomes bigint', 'INT64', [3], [-5, 0, 2 ** 40], [-5n, 0n, 2n ** 40n]],
    ['BOOL from booleans and 0/1', 'BOOL', [4], [true, false, 1, 0], [1, 0, 1, 0]],
    ['INT8 range ends', 'INT8', [2], [-128, 127], [-128, 127]],
  ])('reads %s', (_name, datatype, shape, data, expected) => {
    const tensor = readTensorData('x', datatype, shape, data);
    expect(Array.from(tensor.data as ArrayLike<unknown>)).toEqual(expected);
    expect(tensor.shape).toEqual(shape);
  });

  it.each<[string, OipDatatype, number[], unknown, RegExp]>([
    ['missing data', 'FP32', [1], undefined, /no "data" array/],
    ['too few values', 'FP32', [2, 2], [1, 2, 3], /has 3 values but its shape \[2, 2\] needs 4/],
    ['too many values', 'FP32', [1, 2], [1, 2, 3], /more values than its shape/],
    ['NaN as a string', 'FP32', [2], [1, 'NaN'], /value 1 of input "x" is "NaN", not a finite number/],
    ['null pixel', 'UINT8', [2], [1, null], /value 1 of input "x" is null/],
    ['pixel over 255', 'UINT8', [2], [1, 256], /is 256, not an integer in \[0, 255\]/],
    ['fractional pixel', 'UINT8', [1], [0.5], /not an integer in \[0, 255\]/],
    ['negative unsigned', 'UINT8', [1], [-1], /not an integer/],
    ['INT64 beyond 2^53', 'INT64', [1], [2 ** 60], /not an integer/],
    ['string BOOL', 'BOOL', [1], ['true'], /not a boolean/],
    ['nesting too deep', 'FP32', [1], [[[[[[[[[[1]]]]]]]]]], /deeper than 8 levels/],
    // Regression: a huge dynamic dimension allocated its whole tensor before counting the values.
    [
      'a shape far larger than the data',
      'INT64',
      [1, 2e9],
      [1, 2, 3],
      /has 3 values but its shape \[1, 2000000000\] needs 2000000000/,
    ],
    ['a shape of 10¹⁸ elements', 'FP32', [1e9, 1e9], [[1]], /has 1 values but its shape/],
  ])('refuses %s with a 400 naming the fix', (_name, datatype, shape, data, message) => {
    const read = () => readTensorData('x', datatype, shape, data);
    expect(read).toThrow(BadRequestError);
    expect(read).toThrow(message);
  });
});
