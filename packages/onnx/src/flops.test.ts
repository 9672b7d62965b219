import { InvalidArgumentError } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import { countFlops, indexGraph } from './index.js';
import { GraphBuilder } from './testing/graph-builder.js';

/** One node with inputs of the given shapes; returns its FLOPs for the given output shape. */
function flopsOf(
  opType: string,
  inputShapes: readonly (readonly number[])[],
  outputShape: readonly number[],
  attributes: Record<string, number | number[]> = {},
): number {
  const g = new GraphBuilder();
  const inputs = inputShapes.map((shape, k) => g.input(`in${k}`, 'float32', shape));
  const output = g.op(opType, inputs, attributes, 'out');
  g.output(output, 'float32', outputShape);
  const shapes = new Map<string, readonly number[]>(inputShapes.map((shape, k) => [`in${k}`, shape]));
  shapes.set('out', outputShape);
  return countFlops(indexGraph(g.build()), [0], shapes);
}

describe('nodeFlops: one multiply-add = 2 FLOPs, per sample', () => {
  it.each([
    // op, input shapes, output shape, attributes, FLOPs
    [
      'Conv 3x3, 1→16 channels, 28x28 out',
      'Conv',
      [[1, 1, 28, 28], [16, 1, 3, 3], [16]],
      [1, 16, 28, 28],
      {},
      2 * 16 * 9 * 784,
    ],
    [
      'Conv stride 2, 16→16, 14x14 out',
      'Conv',
      [
        [1, 16, 28, 28],
        [16, 16, 3, 3],
      ],
      [1, 16, 14, 14],
      {},
      2 * 16 * 16 * 9 * 196,
    ],
    [
      'grouped (depthwise) Conv',
      'Conv',
      [
        [1, 8, 7, 7],
        [8, 1, 3, 3],
      ],
      [1, 8, 7, 7],
      { group: 8 },
      2 * 8 * 9 * 49,
    ],
    [
      'ConvTranspose 4→2, 3x3, 5x5 in',
      'ConvTranspose',
      [
        [1, 4, 5, 5],
        [4, 2, 3, 3],
      ],
      [1, 2, 7, 7],
      {},
      2 * 4 * 2 * 9 * 25,
    ],
    ['Gemm [1,64]x[64,10]', 'Gemm', [[1, 64], [64, 10], [10]], [1, 10], {}, 2 * 64 * 10],
    [
      'Gemm transA [64,1]ᵀ',
      'Gemm',
      [
        [64, 1],
        [64, 10],
      ],
      [1, 10],
      { transA: 1 },
      2 * 64 * 10,
    ],
    [
      'MatMul on tokens [1,49,48]x[48,96]',
      'MatMul',
      [
        [1, 49, 48],
        [48, 96],
      ],
      [1, 49, 96],
      {},
      2 * 49 * 48 * 96,
    ],
    [
      'attention QKᵀ [1,2,49,24]x[1,2,24,49]',
      'MatMul',
      [
        [1, 2, 49, 24],
        [1, 2, 24, 49],
      ],
      [1, 2, 49, 49],
      {},
      2 * 2 * 49 * 49 * 24,
    ],
    ['MatMul with a vector', 'MatMul', [[8], [8, 4]], [4], {}, 2 * 8 * 4],
    ['Relu (not counted)', 'Relu', [[1, 64]], [1, 64], {}, 0],
    [
      'Add (not counted)',
      'Add',
      [
        [1, 64],
        [1, 64],
      ],
      [1, 64],
      {},
      0,
    ],
  ])('%s', (_, opType, inputs, output, attributes, expected) => {
    expect(flopsOf(opType, inputs, output, attributes)).toBe(expected);
  });

  it('asks for the shapes of a probe run when one is missing', () => {
    const g = new GraphBuilder();
    g.output(g.op('MatMul', [g.input('x', 'float32', ['batch', 4]), g.weight([4, 2])], {}, 'y'), 'float32', [
      'batch',
      2,
    ]);
    expect(() => countFlops(indexGraph(g.build()), [0], new Map())).toThrow(InvalidArgumentError);
    expect(() => countFlops(indexGraph(g.build()), [0], new Map())).toThrow(
      /no shape for tensor "y" of MatMul node/,
    );
  });
});
