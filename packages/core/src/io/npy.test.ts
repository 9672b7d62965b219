import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidFileError } from '../errors/index.js';
import { readNpy, writeNpy } from './npy.js';
import { createTensor } from './tensor.js';
import { NPY_DTYPES, tensorArbitrary } from './tensor-arbitrary.test-helper.js';

const fixture = (name: string): Uint8Array => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const grid = Array.from({ length: 24 }, (_, index) => index);

/** Builds .npy bytes by hand: magic, version, header length of the version's width, header, data. */
function handMadeNpy(major: number, header: string, data: Uint8Array): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const headerBytes = new TextEncoder().encode(header);
  const bytes = new Uint8Array(prefix + headerBytes.length + data.length);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(bytes.buffer);
  if (major === 1) view.setUint16(8, headerBytes.length, true);
  else view.setUint32(8, headerBytes.length, true);
  bytes.set(headerBytes, prefix);
  bytes.set(data, prefix + headerBytes.length);
  return bytes;
}

describe('readNpy', () => {
  it.each([
    ['fortran-order.npy', 'int16'],
    ['big-endian.npy', 'float32'],
    ['big-endian-f16.npy', 'float16'],
  ])('reads %s as C-order %s [2, 3, 4] holding 0..23', (name, dtype) => {
    const tensor = readNpy(fixture(name));
    expect(tensor.dtype).toBe(dtype);
    expect(tensor.shape).toEqual([2, 3, 4]);
    expect([...tensor.data].map(Number)).toEqual(grid);
  });

  it('rejects object arrays with a message about pickle', () => {
    expect(() => readNpy(fixture('object.npy'))).toThrow(/object arrays.*pickle/);
  });

  it.each([2, 3])('reads format version %i.0 (with a UTF-8 header in 3.0)', (major) => {
    const header = `{'descr': '<i4', 'fortran_order': False, 'shape': (3,), 'note': 'é'}\n`;
    const tensor = readNpy(handMadeNpy(major, header, new Uint8Array(Int32Array.of(1, -2, 3).buffer)));
    expect(tensor).toEqual({ dtype: 'int32', shape: [3], data: Int32Array.of(1, -2, 3) });
  });

  it('copies misaligned data instead of failing to view it', () => {
    const bytes = writeNpy(createTensor('float64', [2], Float64Array.of(1.5, -2)));
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    expect(readNpy(shifted).data).toEqual(Float64Array.of(1.5, -2));
  });

  it('views aligned data without copying', () => {
    const bytes = writeNpy(createTensor('float32', [3], Float32Array.of(1, 2, 3)));
    expect(readNpy(bytes).data.buffer).toBe(bytes.buffer);
  });

  it.each([
    ['bad magic', new Uint8Array(20)],
    ['version 4.0', handMadeNpy(1, '{}', new Uint8Array()).map((value, index) => (index === 6 ? 4 : value))],
    [
      'complex dtype',
      handMadeNpy(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}", new Uint8Array(8)),
    ],
    [
      'unicode dtype',
      handMadeNpy(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (1,)}", new Uint8Array(12)),
    ],
    [
      'structured dtype',
      handMadeNpy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", new Uint8Array(4)),
    ],
    ['missing shape', handMadeNpy(1, "{'descr': '<f4', 'fortran_order': False}", new Uint8Array(4))],
    [
      'negative dimension',
      handMadeNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", new Uint8Array(4)),
    ],
    [
      'short data',
      handMadeNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", new Uint8Array(7)),
    ],
    ['header past the end', handMadeNpy(1, "{'descr': '<f4'}", new Uint8Array()).subarray(0, 20)],
  ])('rejects %s with InvalidFileError', (_, bytes) => {
    expect(() => readNpy(bytes)).toThrow(InvalidFileError);
  });

  it('rejects every truncation of a valid file', () => {
    const bytes = writeNpy(createTensor('int16', [5], Int16Array.of(1, 2, 3, 4, 5)));
    for (let length = 0; length < bytes.length; length++) {
      expect(() => readNpy(bytes.subarray(0, length)), `prefix of ${length} bytes`).toThrow(InvalidFileError);
    }
  });
});

describe('writeNpy', () => {
  it('round-trips every dtype and shape through readNpy', () => {
    fc.assert(
      fc.property(tensorArbitrary(NPY_DTYPES), (tensor) => {
        expect(readNpy(writeNpy(tensor))).toEqual(tensor);
      }),
      { numRuns: 500 },
    );
  });

  it('writes a numpy-compatible 1.0 header with 64-byte aligned data', () => {
    const bytes = writeNpy(createTensor('int64', [2, 1], BigInt64Array.of(1n, 2n)));
    const headerLength = bytes[8]! + 256 * bytes[9]!;
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
    expect(header).toMatch(/^\{'descr': '<i8', 'fortran_order': False, 'shape': \(2, 1\), \} *\n$/);
    expect((10 + headerLength) % 64).toBe(0);
    expect(bytes.length).toBe(10 + headerLength + 16);
  });

  it('rejects bfloat16, which numpy cannot store', () => {
    expect(() => writeNpy(createTensor('bfloat16', [1], Float32Array.of(1)))).toThrow(InvalidArgumentError);
  });
});
