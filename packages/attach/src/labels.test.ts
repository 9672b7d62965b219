import { createTensor } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import { checkLabels, MIN_SAMPLES_PER_CLASS, validationSplit } from './labels.js';

const int64 = (values: number[]) =>
  createTensor('int64', [values.length], BigInt64Array.from(values.map(BigInt)));
const balanced = (classes: number, each: number) =>
  Array.from({ length: classes * each }, (_, k) => k % classes);

describe('checkLabels', () => {
  it('returns the labels as Int32Array', () => {
    expect([...checkLabels(int64(balanced(3, 4)), 3)]).toEqual(balanced(3, 4));
  });

  it.each([
    ['a label out of range', [...balanced(3, 4), 3], /labels\[12\] is 3 but the model has 3 classes \(0–2\)/],
    ['a negative label', [-1, ...balanced(3, 4)], /labels\[0\] is -1/],
    [
      'too few samples of a class',
      [...balanced(2, 4), 2],
      /class 2 has 1 sample; each class needs at least 4/,
    ],
  ])('rejects %s with a one-line error naming the fix', (_, labels, message) => {
    expect(() => checkLabels(int64(labels), 3, 'train.npz')).toThrow(message);
    try {
      checkLabels(int64(labels), 3, 'train.npz');
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
      expect((error as Error).message.startsWith('train.npz')).toBe(true);
    }
  });

  it('rejects labels that are not one index per sample', () => {
    const labels = createTensor('int64', [2, 6], BigInt64Array.from(balanced(3, 4).map(BigInt)));
    expect(() => checkLabels(labels, 3)).toThrow(/shape \[N\]/);
  });

  it('requires at least a training and a validation sample per class', () => {
    expect(MIN_SAMPLES_PER_CLASS).toBeGreaterThanOrEqual(2);
  });
});

describe('validationSplit', () => {
  const labels = Int32Array.from(balanced(4, 50));

  it('holds out the fraction of every class, the same on every run', () => {
    const split = validationSplit(labels, 4, 0.1, 7);
    expect(split.validation.length).toBe(20);
    expect(split.train.length).toBe(180);
    for (let c = 0; c < 4; c++) expect([...split.validation].filter((i) => labels[i] === c)).toHaveLength(5);
    expect(validationSplit(labels, 4, 0.1, 7)).toEqual(split);
    expect(new Set([...split.train, ...split.validation]).size).toBe(200);
  });

  it('changes with the seed', () => {
    expect(validationSplit(labels, 4, 0.1, 1).validation).not.toEqual(
      validationSplit(labels, 4, 0.1, 2).validation,
    );
  });
});
