import { createTensor, PceeError } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import { rawModelInputs } from './raw-model-inputs.js';

const images = createTensor('float32', [4, 2], new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]));
const labels = createTensor('int64', [4], new BigInt64Array([3n, 1n, 0n, 2n]));

describe('rawModelInputs', () => {
  it('keeps every array but labels as an input, the first `limit` samples as views, labels as integers', () => {
    const raw = rawModelInputs(
      new Map([
        ['x', images],
        ['labels', labels],
      ]),
      'in.npz',
      3,
    );
    expect(raw.samples).toBe(3);
    expect([...raw.arrays.keys()]).toEqual(['x']);
    expect(raw.arrays.get('x')!.shape).toEqual([3, 2]);
    expect(raw.arrays.get('x')!.data.buffer).toBe(images.data.buffer);
    expect([...raw.labels!]).toEqual([3, 1, 0]);
  });

  it('without labels has none, and a limit above the samples keeps them all', () => {
    const raw = rawModelInputs(new Map([['x', images]]), 'in.npz', 10);
    expect(raw.samples).toBe(4);
    expect(raw.labels).toBeUndefined();
  });

  it.each([
    [new Map([['labels', labels]]), /in\.npz holds no input arrays \(it holds: labels\)/],
    [
      new Map([
        ['x', images],
        ['mask', createTensor('float32', [2], new Float32Array(2))],
      ]),
      /"mask" has 2 samples but "x" has 4/,
    ],
    [
      new Map([
        ['x', images],
        ['labels', createTensor('int64', [2], new BigInt64Array(2))],
      ]),
      /labels have shape \[2\] but "x" has 4 samples/,
    ],
  ])('names the offending array (%#)', (tensors, message) => {
    expect(() => rawModelInputs(tensors, 'in.npz')).toThrow(PceeError);
    expect(() => rawModelInputs(tensors, 'in.npz')).toThrow(message);
  });
});
