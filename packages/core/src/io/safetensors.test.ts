import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidFileError } from '../errors/index.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { createTensor, TENSOR_DTYPES } from './tensor.js';
import { tensorArbitrary } from './tensor-arbitrary.test-helper.js';

const fixture = (name: string): Uint8Array => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

/** Builds safetensors bytes from a header object and raw data. */
function handMade(header: unknown, data = new Uint8Array()): Uint8Array {
  const headerBytes = strToU8(JSON.stringify(header));
  const bytes = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  bytes.set(data, 8 + headerBytes.length);
  return bytes;
}

describe('readSafetensors', () => {
  it('reads the python-written fixture with F32, I64 and BF16 tensors and metadata', () => {
    const { tensors, metadata } = readSafetensors(fixture('traces.safetensors'));
    expect(metadata).toEqual({ producer: 'make-fixtures.py' });
    expect([...tensors.keys()]).toEqual(['logits', 'labels', 'scale']);
    expect(tensors.get('logits')!.shape).toEqual([4, 3, 5]);
    expect([...tensors.get('logits')!.data]).toEqual(
      Array.from({ length: 60 }, (_, index) => ((index % 17) - 8) * 0.25),
    );
    expect(tensors.get('labels')!.data).toEqual(BigInt64Array.of(0n, 4n, 2n, 1n));
    expect(tensors.get('scale')).toEqual({
      dtype: 'bfloat16',
      shape: [3],
      data: Float32Array.of(1, -2.5, 3.140625),
    });
  });

  const f32 = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  it.each([
    ['empty bytes', new Uint8Array()],
    ['a header length past the end', handMade({ x: f32 }).subarray(0, 20)],
    ['a header that is not JSON', handMade('{').map((value, index) => (index === 8 ? 0x7b : value))],
    ['a header that is a list', strToU8('\x02\0\0\0\0\0\0\0[]')],
    ['an unsupported dtype', handMade({ x: { ...f32, dtype: 'F8_E4M3' } }, new Uint8Array(8))],
    ['a negative dimension', handMade({ x: { ...f32, shape: [-2] } }, new Uint8Array(8))],
    ['offsets past the data', handMade({ x: f32 }, new Uint8Array(4))],
    ['reversed offsets', handMade({ x: { ...f32, data_offsets: [8, 0] } }, new Uint8Array(8))],
    ['a span that does not match the shape', handMade({ x: { ...f32, shape: [3] } }, new Uint8Array(8))],
    ['non-string metadata', handMade({ __metadata__: { a: 1 } })],
    ['a tensor that is not an object', handMade({ x: 3 })],
  ])('rejects %s with InvalidFileError', (_, bytes) => {
    expect(() => readSafetensors(bytes)).toThrow(InvalidFileError);
  });

  it('rejects every truncation of the fixture with InvalidFileError', () => {
    const bytes = fixture('traces.safetensors');
    for (let length = 0; length < bytes.length; length++) {
      expect(() => readSafetensors(bytes.subarray(0, length)), `prefix of ${length} bytes`).toThrow(
        InvalidFileError,
      );
    }
  });
});

describe('writeSafetensors', () => {
  it('round-trips every dtype through readSafetensors, with metadata', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), tensorArbitrary(TENSOR_DTYPES)), {
          selector: ([name]) => name,
          maxLength: 4,
        }),
        fc.dictionary(fc.string(), fc.string()),
        (pairs, metadata) => {
          const tensors = new Map(pairs.filter(([name]) => name !== '__metadata__'));
          const read = readSafetensors(writeSafetensors(tensors, { metadata }));
          expect(new Map([...read.tensors].sort())).toEqual(new Map([...tensors].sort()));
          expect(read.metadata).toEqual({ ...metadata });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps a "__proto__" metadata key as data (regression: Object.assign set the prototype)', () => {
    const metadata = Object.fromEntries([['__proto__', 'x']]);
    const read = readSafetensors(writeSafetensors({}, { metadata }));
    expect(Object.entries(read.metadata)).toEqual([['__proto__', 'x']]);
  });

  it('aligns every tensor to its element width so reads are zero-copy views', () => {
    const bytes = writeSafetensors({
      flags: createTensor('bool', [3], Uint8Array.of(1, 0, 1)),
      wide: createTensor('float64', [2], Float64Array.of(1, 2)),
      mid: createTensor('int32', [1], Int32Array.of(7)),
    });
    const { tensors } = readSafetensors(bytes);
    for (const name of ['flags', 'wide', 'mid']) expect(tensors.get(name)!.data.buffer).toBe(bytes.buffer);
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
  });

  it.each([
    ['the reserved name __metadata__', { __metadata__: createTensor('int8', [0], new Int8Array()) }],
    [
      'a tensor whose data does not match its shape',
      { x: { dtype: 'int8' as const, shape: [2], data: new Int8Array(1) } },
    ],
  ])('rejects %s with InvalidArgumentError', (_, tensors) => {
    expect(() => writeSafetensors(tensors)).toThrow(InvalidArgumentError);
  });
});
