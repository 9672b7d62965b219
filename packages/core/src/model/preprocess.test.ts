import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors/index.js';
import { createTensor } from '../io/index.js';
import { parseManifest } from './model-manifest.js';
import type { ModelInputSpec } from './model-manifest-types.js';
import { preprocessInput, preprocessModelInputs } from './preprocess.js';

const image: ModelInputSpec = {
  name: 'image',
  dtype: 'float32',
  shape: ['batch', 1, 2, 2],
  raw: { dtype: 'uint8', preprocessing: { scale: 1 / 255, mean: [0.5], std: [0.25] } },
};
const tokens: ModelInputSpec = { name: 'input_ids', dtype: 'int64', shape: ['batch', 'sequence'] };

describe('preprocessInput', () => {
  it('normalises raw pixels and reshapes [N, H, W] to the model shape', () => {
    const out = preprocessInput(image, createTensor('uint8', [1, 2, 2], Uint8Array.from([0, 255, 51, 102])));
    expect(out.shape).toEqual([1, 1, 2, 2]);
    expect([...out.data].map((value) => Math.round(Number(value) * 1000) / 1000)).toEqual([
      -2, 2, -1.2, -0.4,
    ]);
  });

  it('takes float32 as preprocessed only when asked (the server takes FP32 so)', () => {
    const floats = createTensor('float32', [1, 1, 2, 2], Float32Array.from([1, 2, 3, 4]));
    expect(() => preprocessInput(image, floats)).toThrow(
      /input "image" is float32 but the model expects raw uint8/,
    );
    expect([...preprocessInput(image, floats, { acceptPreprocessed: true }).data]).toEqual([1, 2, 3, 4]);
  });

  it('takes int64 token ids with any sequence length, and widens int32 ids to int64', () => {
    const ids64 = preprocessInput(
      tokens,
      createTensor('int64', [2, 3], BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n])),
    );
    expect(ids64).toMatchObject({ dtype: 'int64', shape: [2, 3] });
    const ids32 = preprocessInput(tokens, createTensor('int32', [1, 7], new Int32Array(7).fill(9)));
    expect(ids32.data).toBeInstanceOf(BigInt64Array);
    expect(ids32.shape).toEqual([1, 7]);
  });

  it('preprocesses raw int64 values (the "int64 is not supported; use int64" bug)', () => {
    const raw = createTensor('int64', [1, 2, 2], BigInt64Array.from([0n, 255n, 0n, 255n]));
    const spec: ModelInputSpec = { ...image, raw: { ...image.raw!, dtype: 'int64' } };
    expect([...preprocessInput(spec, raw).data]).toEqual([-2, 2, -2, 2]);
  });

  it.each([
    [
      'floats for integer ids',
      tokens,
      createTensor('float32', [1, 3], new Float32Array(3)),
      /input "input_ids" is float32 but the model expects int64; save it as int64/,
    ],
    [
      'a rank that does not fit',
      tokens,
      createTensor('int64', [1, 3, 1], new BigInt64Array(3)),
      /input "input_ids" has shape \[1, 3, 1\] but the model expects \[N, sequence\]/,
    ],
    [
      'too few values per sample',
      image,
      createTensor('uint8', [1, 3], new Uint8Array(3)),
      /expects \[N, 1, 2, 2\] \(4 values per sample\)/,
    ],
    [
      'no samples',
      image,
      createTensor('uint8', [0, 4], new Uint8Array(0)),
      /expected \[N, 1, 2, 2\] with N ≥ 1/,
    ],
    [
      'ids beyond int32',
      { ...tokens, dtype: 'int32' } as ModelInputSpec,
      createTensor('int64', [1, 1], BigInt64Array.from([2n ** 40n])),
      /value 1099511627776 at element 0, outside int32/,
    ],
  ])('refuses %s, naming it', (_, spec, raw, message) => {
    expect(() => preprocessInput(spec, raw)).toThrow(InvalidInputError);
    expect(() => preprocessInput(spec, raw)).toThrow(message);
  });
});

describe('preprocessModelInputs', () => {
  const manifest = parseManifest(
    JSON.stringify({
      format: 'pcee-model',
      version: 2,
      id: 'two-inputs',
      inputs: [tokens, { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'sequence'] }],
      classes: ['a', 'b'],
      stages: [
        {
          index: 0,
          file: 's.onnx',
          sha256: 'a'.repeat(64),
          consumes: ['input_ids', 'attention_mask'],
          logits: 'exit_0',
          flops: { backbone: 1, head: 1 },
          parameters: 1,
        },
      ],
      exitCosts: [2],
      fullModelCost: 2,
      costUnit: 'flops',
      parameters: 1,
    }),
  );

  it('finds every input by name and ignores labels', () => {
    const ids = createTensor('int64', [2, 4], new BigInt64Array(8));
    const out = preprocessModelInputs(
      manifest,
      new Map([
        ['input_ids', ids],
        ['attention_mask', ids],
        ['labels', createTensor('int64', [2], new BigInt64Array(2))],
      ]),
    );
    expect(Object.keys(out)).toEqual(['input_ids', 'attention_mask']);
  });

  it('names a missing input, what was given, and how to save it', () => {
    const ids = createTensor('int64', [2, 4], new BigInt64Array(8));
    expect(() => preprocessModelInputs(manifest, new Map([['x', ids]]))).toThrow(
      /no array "attention_mask" for model "two-inputs" \(given: x\); save inputs with np\.savez\(path, input_ids=…, attention_mask=…, labels=…\)|no array "input_ids"/,
    );
  });
});
