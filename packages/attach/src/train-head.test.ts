import { createTensor, seededRandom } from '@pcee/core';
import { createCpuSession, runSession } from '@pcee/runtime-node';
import { describe, expect, it } from 'vitest';
import { headGradientModel, headParameterShapes } from './head-gradient-model.js';
import { validationSplit } from './labels.js';
import { trainHead } from './train-head.js';

/** Three Gaussian blobs in 6 dimensions, offset and scaled so standardisation matters. */
function blobs(count: number, seed: number) {
  const random = seededRandom(seed);
  const width = 6;
  const features = new Float32Array(count * width);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 3;
    labels[i] = label;
    for (let d = 0; d < width; d++) {
      const centre = d === label ? 2 : 0;
      features[i * width + d] = 100 + 10 * (centre + (random() - 0.5) * 2);
    }
  }
  return { features, labels, width };
}

describe('headGradientModel', () => {
  it.each(['linear', 'mlp'] as const)(
    'gives the %s head gradient of the mean cross-entropy (finite differences)',
    async (kind) => {
      const [n, d, c, h] = [5, 3, 4, 6];
      const random = seededRandom(3);
      const session = await createCpuSession(headGradientModel(kind, d, c, h), { threads: 1 });
      const shapes = headParameterShapes(kind, d, c, h);
      const parameters = shapes.shapes.map((shape) =>
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() - 0.5),
      );
      const x = Float32Array.from({ length: n * d }, () => random() * 2 - 1);
      const y = new Float32Array(n * c);
      for (let i = 0; i < n; i++) y[i * c + (i % c)] = 1;
      const run = async (values: Float32Array[]) => {
        const feeds = new Map([
          ['x', createTensor('float32', [n, d], x)],
          ['y', createTensor('float32', [n, c], y)],
          ['scale', createTensor('float32', [1], Float32Array.of(1 / n))],
          ...shapes.names.map(
            (name, k) => [name, createTensor('float32', [...shapes.shapes[k]!], values[k]!)] as const,
          ),
        ]);
        return runSession(session, feeds);
      };
      const outputs = await run(parameters);
      for (const [k, name] of shapes.names.entries()) {
        const gradient = outputs.get(`grad_${name}`)!.data as Float32Array;
        for (let i = 0; i < parameters[k]!.length; i++) {
          const step = 1e-3;
          const plus = parameters.map((p) => Float32Array.from(p));
          const minus = parameters.map((p) => Float32Array.from(p));
          plus[k]![i]! += step;
          minus[k]![i]! -= step;
          const numeric =
            ((await run(plus)).get('loss')!.data[0]! as number) -
            ((await run(minus)).get('loss')!.data[0]! as number);
          expect([name, i, gradient[i]]).toEqual([name, i, expect.closeTo(numeric / (2 * step), 2)]);
        }
      }
      await session.release();
    },
  );
});

describe('trainHead', () => {
  it.each(['linear', 'mlp'] as const)(
    'learns separable blobs with a %s head, deterministically',
    async (kind) => {
      const { features, labels, width } = blobs(600, 5);
      const split = validationSplit(labels, 3, 0.2, 1);
      const options = { kind, hidden: 8, iterations: 60 } as const;
      const first = await trainHead(features, width, labels, split, 3, options);
      expect(first.validationAccuracy).toBeGreaterThan(0.9);
      expect(first.trainAccuracy).toBeGreaterThan(0.9);
      const second = await trainHead(features, width, labels, split, 3, options);
      expect(second.head).toEqual(first.head);
      expect(second.regularization).toBe(first.regularization);
    },
  );
});
