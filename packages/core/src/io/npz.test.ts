import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidFileError } from '../errors/index.js';
import { crc32 } from './crc32.js';
import { writeNpy } from './npy.js';
import { readNpz, writeNpz } from './npz.js';
import { createTensor, TENSOR_DTYPES } from './tensor.js';
import { NPY_DTYPES, tensorArbitrary } from './tensor-arbitrary.test-helper.js';

const fixture = (name: string): Uint8Array => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const logitValues = Array.from({ length: 60 }, (_, index) => ((index % 17) - 8) * 0.25);

describe('readNpz', () => {
  it.each([
    ['traces-f32-i64.npz', 'float32', 'int64'],
    ['traces-f32-i64-compressed.npz', 'float32', 'int64'],
    ['traces-f16-i32-compressed.npz', 'float16', 'int32'],
    ['traces-f64-u8.npz', 'float64', 'uint8'],
  ])('reads numpy-written %s (logits %s, labels %s)', (name, logitsDtype, labelsDtype) => {
    const tensors = readNpz(fixture(name));
    expect([...tensors.keys()]).toEqual(['logits', 'labels']);
    const logits = tensors.get('logits')!;
    expect(logits.dtype).toBe(logitsDtype);
    expect(logits.shape).toEqual([4, 3, 5]);
    expect([...logits.data]).toEqual(logitValues);
    const labels = tensors.get('labels')!;
    expect(labels.dtype).toBe(labelsDtype);
    expect([...labels.data].map(Number)).toEqual([0, 4, 2, 1]);
  });

  it.each([
    ['empty bytes', new Uint8Array()],
    ['non-zip bytes', strToU8('hello, this is not a zip archive')],
    ['a zip signature and nothing else', Uint8Array.of(0x50, 0x4b, 0x03, 0x04)],
    ['a zip holding a non-npy entry', zipSync({ 'logits.npy': strToU8('not numpy') })],
    [
      'a zip with an unsupported compression method',
      zipSync({ 'a.npy': [strToU8('x'), { level: 0 }] }).map((value, index, bytes) =>
        // Patch the method field (offset 10) of the central directory header to 99.
        index === bytes.length - 22 - 46 - 5 + 10 ? 99 : value,
      ),
    ],
  ])('rejects %s with InvalidFileError', (_, bytes) => {
    expect(() => readNpz(bytes)).toThrow(InvalidFileError);
  });

  it('names the corrupt entry', () => {
    expect(() => readNpz(zipSync({ 'labels.npy': strToU8('junk') }))).toThrow(/entry "labels.npy"/);
  });

  it.each(['traces-f32-i64.npz', 'traces-f16-i32-compressed.npz'])(
    'rejects every truncation of %s with InvalidFileError',
    (name) => {
      const bytes = fixture(name);
      for (let length = 0; length < bytes.length; length++) {
        expect(() => readNpz(bytes.subarray(0, length)), `prefix of ${length} bytes`).toThrow(
          InvalidFileError,
        );
      }
    },
  );

  it('rejects a compressed archive with a corrupted deflate stream', () => {
    const bytes = new Uint8Array(fixture('traces-f32-i64-compressed.npz'));
    // The first entry's data starts after its 30-byte local header, name and extra field.
    const dataStart = 30 + bytes[26]! + 256 * bytes[27]! + bytes[28]! + 256 * bytes[29]!;
    bytes.fill(0xff, dataStart, dataStart + 16);
    expect(() => readNpz(bytes)).toThrow(InvalidFileError);
  });
});

describe('writeNpz', () => {
  it.each([false, true])('round-trips tensors through readNpz (compress: %s)', (compress) => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/), tensorArbitrary(NPY_DTYPES)), {
          selector: ([name]) => name,
          maxLength: 4,
        }),
        (pairs) => {
          const tensors = new Map(pairs);
          expect(readNpz(writeNpz(tensors, { compress }))).toEqual(tensors);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stores entries uncompressed by default and deflates on request', () => {
    const tensors = { zeros: createTensor('float64', [1000], new Float64Array(1000)) };
    const stored = writeNpz(tensors);
    const compressed = writeNpz(tensors, { compress: true });
    expect(stored.length).toBeGreaterThan(8000);
    expect(compressed.length).toBeLessThan(1000);
    expect(readNpz(compressed)).toEqual(readNpz(stored));
  });

  it.each([
    ['an empty name', { '': createTensor('int8', [0], new Int8Array()) }],
    ['a name with a slash', { 'a/b': createTensor('int8', [0], new Int8Array()) }],
    ['a bfloat16 tensor', { x: createTensor('bfloat16', [1], Float32Array.of(1)) }],
  ])('rejects %s with InvalidArgumentError', (_, tensors) => {
    expect(() => writeNpz(tensors)).toThrow(InvalidArgumentError);
  });

  it('covers every dtype but bfloat16', () => {
    expect(TENSOR_DTYPES.filter((dtype) => !NPY_DTYPES.includes(dtype))).toEqual(['bfloat16']);
    expect(writeNpy(createTensor('bool', [2], Uint8Array.of(1, 0))).length).toBe(130);
  });
});

describe('readNpz checksums', () => {
  /** Offset of the first entry's data: after its 30-byte local header, name and extra field. */
  const firstDataStart = (bytes: Uint8Array) =>
    30 + bytes[26]! + 256 * bytes[27]! + bytes[28]! + 256 * bytes[29]!;

  it('rejects a stored entry with one flipped bit in its array data, naming the entry and the fix', () => {
    const bytes = new Uint8Array(fixture('traces-f32-i64.npz'));
    // Past the 128-byte .npy header: the flip lands in a float32 value, which would read fine.
    bytes[firstDataStart(bytes) + 140]! ^= 0x04;
    expect(() => readNpz(bytes)).toThrow(
      /entry "logits.npy" is corrupt: its data has CRC-32 0x[0-9a-f]{8} but the archive records 0x[0-9a-f]{8}.*write or copy it again/,
    );
  });

  it('accepts the checksums numpy and fflate write, compressed or stored', () => {
    for (const name of ['traces-f32-i64.npz', 'traces-f32-i64-compressed.npz', 'traces-f64-u8.npz']) {
      expect(() => readNpz(fixture(name))).not.toThrow();
    }
    const logits = createTensor('float32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
    for (const compress of [false, true]) {
      expect(readNpz(writeNpz({ logits }, { compress })).get('logits')!.data).toEqual(logits.data);
    }
  });
});

describe('readNpz without copies, with an injected CRC-32, with zip64 fields', () => {
  it('returns stored arrays as views of the archive bytes, not copies', () => {
    const bytes = writeNpz({ logits: createTensor('float32', [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6)) });
    const logits = readNpz(bytes).get('logits')!;
    expect(logits.data.buffer).toBe(bytes.buffer);
    expect([...logits.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('checks every entry with the crc32 it is given (a native one, in the CLI)', () => {
    const bytes = fixture('traces-f32-i64.npz');
    const checked: number[] = [];
    const counting = (data: Uint8Array) => {
      checked.push(data.length);
      return crc32(data);
    };
    expect([...readNpz(bytes, { crc32: counting }).keys()]).toEqual(['logits', 'labels']);
    expect(checked).toEqual([368, 160]);
    expect(() => readNpz(bytes, { crc32: () => 0 })).toThrow(
      /entry "logits.npy" is corrupt: its data has CRC-32 0x00000000/,
    );
  });

  it('reads sizes and offsets from the zip64 extra field of the central directory', () => {
    const npy = writeNpy(createTensor('int32', [3], Int32Array.of(7, 8, 9)));
    const name = strToU8('labels.npy');
    // Local header (no extra), data, then a central directory entry whose sizes and offset
    // are 0xffffffff with the real values in a zip64 extra field, then the end record.
    const local = new Uint8Array(30 + name.length);
    const localView = new DataView(local.buffer);
    localView.setUint32(0, 0x04034b50, true);
    localView.setUint16(26, name.length, true);
    local.set(name, 30);
    const extra = new Uint8Array(4 + 24);
    const extraView = new DataView(extra.buffer);
    extraView.setUint16(0, 0x0001, true);
    extraView.setUint16(2, 24, true);
    extraView.setBigUint64(4, BigInt(npy.length), true);
    extraView.setBigUint64(12, BigInt(npy.length), true);
    extraView.setBigUint64(20, 0n, true);
    const central = new Uint8Array(46 + name.length + extra.length);
    const centralView = new DataView(central.buffer);
    centralView.setUint32(0, 0x02014b50, true);
    centralView.setUint32(16, crc32(npy), true);
    centralView.setUint32(20, 0xffffffff, true);
    centralView.setUint32(24, 0xffffffff, true);
    centralView.setUint16(28, name.length, true);
    centralView.setUint16(30, extra.length, true);
    centralView.setUint32(42, 0xffffffff, true);
    central.set(name, 46);
    central.set(extra, 46 + name.length);
    const end = new Uint8Array(22);
    const endView = new DataView(end.buffer);
    endView.setUint32(0, 0x06054b50, true);
    endView.setUint16(8, 1, true);
    endView.setUint16(10, 1, true);
    endView.setUint32(12, central.length, true);
    endView.setUint32(16, local.length + npy.length, true);
    const archive = new Uint8Array(local.length + npy.length + central.length + end.length);
    archive.set(local, 0);
    archive.set(npy, local.length);
    archive.set(central, local.length + npy.length);
    archive.set(end, local.length + npy.length + central.length);
    expect([...readNpz(archive).get('labels')!.data]).toEqual([7, 8, 9]);
    // Without the extra field the marked values cannot be resolved: a clear error, no guess.
    centralView.setUint16(30, 0, true);
    archive.set(central, local.length + npy.length);
    expect(() => readNpz(archive)).toThrow(InvalidFileError);
  });
});

describe('crc32', () => {
  it.each([
    ['', 0x00000000],
    ['a', 0xe8b7be43],
    ['123456789', 0xcbf43926],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ])('matches the standard check value for %j', (text, expected) => {
    expect(crc32(strToU8(text))).toBe(expected);
  });
});

describe('writeNpz is reproducible', () => {
  it('writes the same bytes for the same tensors at different times (fixed zip timestamp)', async () => {
    const tensors = { logits: createTensor('float32', [2, 2], Float32Array.from([1, 2, 3, 4])) };
    const first = writeNpz(tensors);
    await new Promise((resolve) => setTimeout(resolve, 2100)); // zip times have 2 s resolution
    expect(writeNpz(tensors)).toEqual(first);
  });
});
