import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { InvalidFileError, InvalidTracesError, PceeError } from '../errors/index.js';
import { createTraces } from '../traces/index.js';
import { writeNpz } from './npz.js';
import { readTraces } from './read-traces.js';
import { writeSafetensors } from './safetensors.js';
import { createTensor } from './tensor.js';
import { writeTraces } from './write-traces.js';

const fixture = (name: string): Uint8Array => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const logitValues = Array.from({ length: 60 }, (_, index) => ((index % 17) - 8) * 0.25);

describe('readTraces', () => {
  it.each([
    ['traces-f32-i64.npz', Float32Array],
    ['traces-f32-i64-compressed.npz', Float32Array],
    ['traces-f16-i32-compressed.npz', Float32Array],
    ['traces-f64-u8.npz', Float64Array],
    ['traces.safetensors', Float32Array],
  ])('reads %s into %o logits and Int32Array labels', (name, LogitsArray) => {
    const traces = readTraces(fixture(name), name);
    expect(traces).toMatchObject({ samples: 4, exits: 3, classes: 5 });
    expect(traces.logits).toBeInstanceOf(LogitsArray);
    expect([...traces.logits]).toEqual(logitValues);
    expect(traces.labels).toEqual(Int32Array.of(0, 4, 2, 1));
  });

  it.each([
    ['traces-nan.npz', InvalidTracesError, /x\.npz: logits of sample 2 at exit 1 contain NaN/],
    ['traces-label-out-of-range.npz', InvalidTracesError, /label of sample 2 is 5, outside \[0, 5\)/],
    [
      'traces-missing-labels.npz',
      InvalidTracesError,
      /no "labels" tensor; the file holds logits float32 \[4, 3, 5\], targets int64 \[4\]/,
    ],
    [
      'traces-wrong-rank.npz',
      InvalidTracesError,
      /logits have shape \[4, 15\] but must be rank 3 \[samples, exits, classes\]/,
    ],
    ['traces-float-labels.npz', InvalidTracesError, /labels are float32 but must be integer class indices/],
    ['big-endian.npy', InvalidFileError, /x\.npz: this is a single \.npy array/],
  ])('rejects %s with a message naming the problem', (name, ErrorClass, message) => {
    expect(() => readTraces(fixture(name), 'x.npz')).toThrow(ErrorClass);
    expect(() => readTraces(fixture(name), 'x.npz')).toThrow(message);
  });

  it.each([
    ['empty bytes', new Uint8Array()],
    ['text', strToU8('logits,labels\n1,2\n')],
    ['json', strToU8('{"logits": []}')],
  ])('rejects %s naming the accepted formats and the source', (_, bytes) => {
    expect(() => readTraces(bytes, 'data/run.bin')).toThrow(
      /^data\/run\.bin: not a \.npz \(zip\) or \.safetensors file/,
    );
  });

  it.each([
    [
      'int64 labels above int32',
      createTensor('int64', [2], BigInt64Array.of(0n, 2n ** 40n)),
      /sample 1 is 1099511627776/,
    ],
    // The int64 fast path reads 32-bit halves: values whose low half alone looks valid.
    [
      'int64 label 2^32 (low half 0)',
      createTensor('int64', [2], BigInt64Array.of(0n, 2n ** 32n)),
      /sample 1 is 4294967296/,
    ],
    [
      'int64 label 2^31',
      createTensor('int64', [2], BigInt64Array.of(0n, 2n ** 31n)),
      /sample 1 is 2147483648/,
    ],
    [
      'int64 label −1',
      createTensor('int64', [2], BigInt64Array.of(0n, -1n)),
      /sample 1 is -1, outside \[0, 2\)/,
    ],
    [
      'uint64 label 2^32 + 1',
      createTensor('uint64', [2], BigUint64Array.of(2n ** 32n + 1n, 0n)),
      /sample 0 is 4294967297/,
    ],
    [
      'negative int64 labels',
      createTensor('int64', [2], BigInt64Array.of(-(2n ** 40n), 0n)),
      /sample 0 is -1099511627776/,
    ],
    [
      'uint32 labels above int32',
      createTensor('uint32', [2], Uint32Array.of(0, 2 ** 31)),
      /sample 1 is 2147483648/,
    ],
    [
      'uint64 labels above int32',
      createTensor('uint64', [2], BigUint64Array.of(2n ** 63n, 0n)),
      /sample 0 is 9223372036854775808/,
    ],
    [
      'a labels/logits size mismatch',
      createTensor('int8', [3], Int8Array.of(0, 1, 1)),
      /logits have 2 samples but labels have 3/,
    ],
    ['bool labels', createTensor('bool', [2], Uint8Array.of(0, 1)), /labels are bool/],
    [
      'rank-2 labels',
      createTensor('int32', [2, 1], Int32Array.of(0, 1)),
      /labels have shape \[2, 1\] but must be rank 1 \[2\]/,
    ],
  ])('rejects %s with InvalidTracesError', (_, labels, message) => {
    const logits = createTensor('float32', [2, 1, 2], Float32Array.of(0, 1, 1, 0));
    const bytes = writeSafetensors({ logits, labels });
    expect(() => readTraces(bytes)).toThrow(InvalidTracesError);
    expect(() => readTraces(bytes)).toThrow(message);
  });

  it('rejects integer logits', () => {
    const bytes = writeNpz({
      logits: createTensor('int32', [1, 1, 2], Int32Array.of(0, 1)),
      labels: createTensor('int32', [1], Int32Array.of(0)),
    });
    expect(() => readTraces(bytes)).toThrow(/logits are int32 but must be float16, float32 or float64/);
  });

  const validFiles = [
    [
      'npz',
      writeTraces(
        createTraces(Float32Array.of(0, 1, 2, 3), Int32Array.of(1, 0), { samples: 2, exits: 1, classes: 2 }),
        'npz',
      ),
    ],
    ['compressed npz', fixture('traces-f16-i32-compressed.npz')],
    ['safetensors', fixture('traces.safetensors')],
  ] as const;

  it.each(validFiles)('rejects every truncation of a valid %s file with a PceeError', (_, bytes) => {
    for (let length = 0; length < bytes.length; length++) {
      expect(() => readTraces(bytes.subarray(0, length)), `prefix of ${length} bytes`).toThrow(PceeError);
    }
  });

  /** Runs readTraces and reports anything but traces or a PceeError as a failure. */
  const returnsOrThrowsPceeError = (bytes: Uint8Array): boolean => {
    try {
      readTraces(bytes);
      return true;
    } catch (error) {
      if (error instanceof PceeError) return true;
      throw error;
    }
  };

  it('either returns traces or throws a PceeError for arbitrary bytes', () => {
    const prefixes = [
      [],
      [0x50, 0x4b, 0x03, 0x04],
      [0x50, 0x4b, 0x05, 0x06],
      [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 512 }), (prefix, tail) =>
        returnsOrThrowsPceeError(Uint8Array.of(...prefix, ...tail)),
      ),
      { numRuns: 5000 },
    );
  });

  it.each(validFiles)(
    'either returns traces or throws a PceeError for a %s file with corrupted bytes',
    (_, bytes) => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 8,
          }),
          (edits) => {
            const corrupted = new Uint8Array(bytes);
            for (const [position, value] of edits) corrupted[position] = value;
            return returnsOrThrowsPceeError(corrupted);
          },
        ),
        { numRuns: 3000 },
      );
    },
  );
});

describe('writeTraces', () => {
  const tracesArbitrary = fc
    .record({
      samples: fc.integer({ min: 1, max: 6 }),
      exits: fc.integer({ min: 1, max: 4 }),
      classes: fc.integer({ min: 2, max: 5 }),
      wide: fc.boolean(),
    })
    .chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        logits: fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), {
          minLength: shape.samples * shape.exits * shape.classes,
          maxLength: shape.samples * shape.exits * shape.classes,
        }),
        labels: fc.array(fc.integer({ min: 0, max: shape.classes - 1 }), {
          minLength: shape.samples,
          maxLength: shape.samples,
        }),
      }),
    )
    .map(({ shape, logits, labels }) =>
      createTraces(
        shape.wide ? Float64Array.from(logits, (value) => value / 3) : Float32Array.from(logits),
        Int32Array.from(labels),
        shape,
      ),
    );

  it.each(['npz', 'safetensors'] as const)('round-trips traces through readTraces (%s)', (format) => {
    fc.assert(
      fc.property(tracesArbitrary, (traces) => {
        expect(readTraces(writeTraces(traces, format))).toEqual(traces);
      }),
      { numRuns: 300 },
    );
  });

  it('writes int64 labels, as numpy and PyTorch use for class indices', () => {
    const traces = createTraces(new Float32Array(4), Int32Array.of(1, 0), {
      samples: 2,
      exits: 1,
      classes: 2,
    });
    const header = new TextDecoder().decode(writeTraces(traces, 'safetensors').subarray(8, 200));
    expect(header).toContain('"labels":{"dtype":"I64","shape":[2]');
    expect(header).toContain('"logits":{"dtype":"F32","shape":[2,1,2]');
  });

  it('rejects an unknown format', () => {
    const traces = createTraces(new Float32Array(2), Int32Array.of(0), { samples: 1, exits: 1, classes: 2 });
    expect(() => writeTraces(traces, 'csv' as 'npz')).toThrow(/unknown traces format "csv"/);
  });
});
