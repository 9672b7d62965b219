import { UnsupportedModelError } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import {
  indexLimits,
  listExitCandidates,
  modelInputs,
  probeSymbolSizes,
  probeTensorTypes,
  randomInputs,
} from './index.js';
import { probeAndPartition } from './test-support/split-helpers.js';
import { GraphBuilder } from './testing/graph-builder.js';
import { bertLike, mlpChain, sequenceFirst } from './testing/test-models.js';

describe('probeTensorTypes', () => {
  it('names dimensions that follow a symbol, static ones by size, the rest by tensor and axis', () => {
    const run = (batch: number, sequence: number, odd: number) => ({
      symbols: { batch, sequence },
      tensors: new Map([
        ['hidden', { dtype: 'float32' as const, dims: [batch, sequence, 16] }],
        ['rows', { dtype: 'float32' as const, dims: [batch * sequence, 16] }],
        ['odd', { dtype: 'int64' as const, dims: [odd] }],
        ['ragged', { dtype: 'int64' as const, dims: batch === 1 ? [3] : [3, 3] }],
      ]),
    });
    const types = probeTensorTypes(run(1, 8, 5), run(2, 13, 7));
    expect(Object.fromEntries(types)).toEqual({
      hidden: { dtype: 'float32', shape: ['batch', 'sequence', 16] },
      rows: { dtype: 'float32', shape: ['batch*sequence', 16] },
      odd: { dtype: 'int64', shape: ['odd:0'] },
      ragged: { dtype: 'int64' },
    });
  });

  it('learns the sequence-first layout of a carried tensor from two runs', async () => {
    const { probe } = await probeAndPartition(sequenceFirst());
    expect(probe.types.get('sequence_first')).toEqual({ dtype: 'float32', shape: ['sequence', 'batch', 4] });
    expect(probe.shapes.get('sequence_first')).toEqual([8, 1, 4]);
  });

  it('gives each symbol of the inputs its own probe sizes', () => {
    expect(probeSymbolSizes(modelInputs(bertLike()))).toEqual([
      { batch: 1, sequence: 8 },
      { batch: 2, sequence: 13 },
    ]);
  });
});

describe('modelInputs', () => {
  it.each([
    [
      'a static batch',
      ['2', 4],
      /input "x" of the model has a static batch dimension of 2; export with a dynamic batch axis/,
    ],
    ['a scalar', [], /input "x" of the model has no batch dimension/],
  ])('rejects an input with %s', (_, shape, message) => {
    const g = new GraphBuilder();
    const dims = shape.map((dimension) => (typeof dimension === 'string' ? Number(dimension) : dimension));
    g.output(g.op('Relu', [g.input('x', 'float32', dims)], {}, 'y'), 'float32', dims);
    expect(() => modelInputs(g.build())).toThrow(UnsupportedModelError);
    expect(() => modelInputs(g.build())).toThrow(message);
  });
});

describe('listExitCandidates', () => {
  it('lists [batch, C] float outputs ordered by dependency, whatever the output order', () => {
    const model = mlpChain();
    model.graph!.output.reverse();
    expect(listExitCandidates(model).map((candidate) => [candidate.name, candidate.classes])).toEqual([
      ['exit_0', 3],
      ['exit_1', 3],
      ['exit_2', 3],
    ]);
  });

  it('skips outputs that are not [batch, C] floats', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['batch', 4]);
    g.output(g.op('Relu', [x], {}, 'features'), 'float32', ['batch', 4, 'extra']);
    g.output(g.op('ArgMax', [x], { axis: 1 }, 'label'), 'int64', ['batch', 1]);
    g.output(g.op('Relu', [x], {}, 'logits'), 'float32', ['batch', 4]);
    expect(listExitCandidates(g.build()).map((candidate) => candidate.name)).toEqual(['logits']);
  });
});

describe('randomInputs', () => {
  it('keeps token ids below the embedding table’s rows and masks in {0, 1}', () => {
    const model = bertLike(2, 37);
    expect(Object.fromEntries(indexLimits(model))).toEqual({ input_ids: 37 });
    const inputs = randomInputs(modelInputs(model), { batch: 4, sequence: 9 }, indexLimits(model));
    const ids = [...(inputs.get('input_ids')!.data as BigInt64Array)].map(Number);
    const mask = [...(inputs.get('attention_mask')!.data as BigInt64Array)].map(Number);
    expect(inputs.get('input_ids')!.shape).toEqual([4, 9]);
    expect(Math.max(...ids)).toBeLessThan(37);
    expect(Math.max(...ids)).toBeGreaterThan(20);
    expect(new Set(mask)).toEqual(new Set([0, 1]));
  });
});
