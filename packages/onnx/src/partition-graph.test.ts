import { InvalidArgumentError, UnsupportedModelError } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import { partitionGraph, readModel, writeModel } from './index.js';
import { probeAndPartition, stageErrors } from './test-support/split-helpers.js';
import {
  bertLike,
  controlFlow,
  flattenedAcrossExit,
  mlpChain,
  multiScale,
  sequenceFirst,
  sharedWeight,
  skipAcrossExit,
} from './testing/test-models.js';

describe('partitionGraph on models of every shape', () => {
  it.each([
    // name, model, what each stage consumes, what each stage produces
    ['an MLP chain', mlpChain, [['x'], ['h1'], ['h2']], [['h1'], ['h2'], []]],
    ['a skip connection across an exit', skipAcrossExit, [['x'], ['a', 'b']], [['a', 'b'], []]],
    ['two feature maps at two scales', multiScale, [['image'], ['fine', 'coarse']], [['fine', 'coarse'], []]],
    [
      'a BERT-style classifier with int64 inputs',
      bertLike,
      [
        ['input_ids', 'attention_mask'],
        ['input_ids', 'mask_additive', 'hidden_1'],
        ['input_ids', 'mask_additive', 'hidden_2'],
      ],
      [['mask_additive', 'hidden_1'], ['hidden_2'], []],
    ],
    [
      'hidden states carried sequence-first',
      sequenceFirst,
      [['x'], ['sequence_first::batch_first']],
      [['sequence_first::batch_first'], []],
    ],
    ['a weight and a Constant shared by two stages', sharedWeight, [['x'], ['a']], [['a'], []]],
  ])(
    '%s: carries exactly the tensors later stages read and reproduces every exit',
    async (_, make, consumes, produces) => {
      const model = make();
      const { partition, probe } = await probeAndPartition(model);
      expect(partition.stages.map((stage) => stage.consumes)).toEqual(consumes);
      expect(partition.stages.map((stage) => stage.produces)).toEqual(produces);
      const errors = await stageErrors(model, partition, probe);
      for (const error of errors) expect(error).toBeLessThanOrEqual(1e-6);
    },
  );

  it('gives every stage graph input a dtype and a shape with a dynamic batch', async () => {
    const { partition } = await probeAndPartition(bertLike());
    const stage1 = partition.stages[1]!.model.graph!;
    const described = stage1.input.map((input) => {
      const tensor = input.type!.value.value as {
        elemType: number;
        shape: { dim: { value: { value: unknown } }[] };
      };
      return [input.name, tensor.elemType, tensor.shape.dim.map((dimension) => dimension.value.value)];
    });
    expect(described).toEqual([
      ['input_ids', 7, ['batch', 'sequence']],
      ['mask_additive', 1, ['batch', 1n, 'sequence']],
      ['hidden_1', 1, ['batch', 'sequence', 16n]],
    ]);
    expect(partition.types.get('hidden_1')).toEqual({ dtype: 'float32', shape: ['batch', 'sequence', 16] });
  });

  it('recomputes a shape value without a batch axis in the stage that reads it instead of carrying it', async () => {
    const { partition } = await probeAndPartition(bertLike());
    const stage1 = partition.stages[1]!;
    const ops = stage1.nodes.map((node) => partition.index.nodes[node]!.opType);
    expect(ops.slice(0, 4)).toEqual(['Shape', 'Slice', 'Concat', 'MatMul']);
    expect(stage1.consumes).toContain('input_ids');
  });

  it('stores a weight shared by two stages in both, and copies a Constant into both', async () => {
    const { partition } = await probeAndPartition(sharedWeight());
    for (const stage of partition.stages) {
      expect(stage.model.graph!.initializer.map((tensor) => tensor.name)).toContain('shared');
      expect(stage.model.graph!.node.map((node) => node.opType)).toContain('Constant');
    }
  });

  it('splits the head from the backbone of every exit, the last one by matching the previous head', async () => {
    const { partition } = await probeAndPartition(mlpChain());
    const opsOf = (nodes: readonly number[]) => nodes.map((node) => partition.index.nodes[node]!.opType);
    expect(partition.stages.map((stage) => opsOf(stage.head))).toEqual([
      ['MatMul', 'Add'],
      ['MatMul', 'Add'],
      ['MatMul', 'Add'],
    ]);
    expect(opsOf(partition.stages[2]!.nodes)).toEqual(['MatMul', 'Add', 'Relu', 'MatMul', 'Add']);
  });

  it('keeps stage files readable and valid after a write/read round trip', async () => {
    const { partition } = await probeAndPartition(multiScale());
    for (const stage of partition.stages) {
      const again = readModel(writeModel(stage.model));
      expect(again.graph!.node.length).toBe(stage.model.graph!.node.length);
      expect(again.opsetImport.map((opset) => opset.version)).toEqual([17n]);
    }
  });
});

describe('partitionGraph errors', () => {
  it.each([
    [
      'an unknown exit',
      mlpChain,
      ['exit_0', 'logits'],
      InvalidArgumentError,
      /unknown exit "logits".*outputs are: exit_0, exit_1, exit_2/,
    ],
    ['an exit listed twice', mlpChain, ['exit_0', 'exit_0'], InvalidArgumentError, /listed twice/],
    [
      'an exit that is an input',
      mlpChain,
      ['x'],
      InvalidArgumentError,
      /exit "x" does not depend on the model inputs/,
    ],
    [
      'a constant exit',
      sharedWeight,
      ['scale'],
      InvalidArgumentError,
      /exit "scale" does not depend on the model inputs/,
    ],
    ['no exits', mlpChain, [], InvalidArgumentError, /no exits given/],
  ])('rejects %s', (_, make, exits, errorClass, message) => {
    const run = () => partitionGraph(make(), exits);
    expect(run).toThrow(errorClass);
    if (message) expect(run).toThrow(message);
  });

  it('rejects exits whose order contradicts the graph, naming an order that works', () => {
    // exit_0's trunk is on the way to exit_1, so exit_0 cannot come after it… but here exit_1
    // depends on exit_0's trunk only, not on exit_0: an order is wrong when a later exit's
    // logits are computed on the way to an earlier one.
    const model = mlpChain();
    const relu = model.graph!.node.find((node) => node.opType === 'Relu')!.output[0]!;
    expect(() => partitionGraph(model, ['exit_1', relu])).toThrow(
      new RegExp(`exit "${relu}" is computed on the way to exit "exit_1".*--exits ${relu},exit_1`),
    );
  });

  it.each([
    [['exit_1', 'exit_0', 'exit_2'], 'exit_0', 1],
    [['exit_2', 'exit_1', 'exit_0'], 'exit_1', 1],
    [['exit_2', 'exit_0', 'exit_1'], 'exit_0', 1],
  ])('rejects the exits %j, out of depth order, naming the order by depth', async (exits, deadEnd, stage) => {
    const { probe } = await probeAndPartition(mlpChain());
    expect(() => partitionGraph(mlpChain(), exits, { types: probe.types })).toThrow(
      new RegExp(
        `no exit after "${deadEnd}" builds on its stage \\(stage ${stage} passes nothing on\\).*--exits exit_0,exit_1,exit_2`,
      ),
    );
  });

  it('rejects control flow inside a stage', async () => {
    await expect(probeAndPartition(controlFlow())).rejects.toThrow(UnsupportedModelError);
    await expect(probeAndPartition(controlFlow())).rejects.toThrow(
      /stage 1 .* contains control flow: If node/,
    );
  });

  it('rejects a tensor without a batch axis that only a MatMul could recompute', async () => {
    await expect(probeAndPartition(flattenedAcrossExit())).rejects.toThrow(
      /tensor "rows" of shape \[batch\*sequence, 4\] crosses from stage 0 to stage 1 without a batch axis/,
    );
  });

  it('rejects logits that are not [batch, classes]', async () => {
    await expect(probeAndPartition(bertLike(), ['hidden_1', 'exit_1'])).rejects.toThrow(
      /exit "hidden_1" has shape \[batch, sequence, 16\]; an exit's logits must be \[batch, classes\]/,
    );
  });

  it('asks for tensor types when a carried tensor has none', () => {
    expect(() => partitionGraph(skipAcrossExit(), ['exit_0', 'exit_1'])).toThrow(
      /the type of tensor "a" \(carried from stage 0 to stage 1\) is unknown/,
    );
  });
});
