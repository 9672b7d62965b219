import { InvalidArgumentError, UnsupportedModelError } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import { fuseStages, readModel, writeModel } from './index.js';
import { fuseV1Fixture, readV1Fixture, testImages } from './test-support/bundled-models.js';
import { relativeError, runModel } from './test-support/ort.js';
import { probeAndPartition, stageErrors } from './test-support/split-helpers.js';
import { bertLike, mlpChain, sharedWeight } from './testing/test-models.js';

describe('fuseStages', () => {
  // The v1 fixture's stages were exported one by one, so their graphs share names.
  it('renames clashing weight and tensor names of separately exported stages', () => {
    const fused = fuseV1Fixture();
    const graph = fused.graph!;
    const names = [...graph.initializer.map((t) => t.name), ...graph.node.flatMap((node) => node.output)];
    expect(new Set(names).size).toBe(names.length);
    expect(names.some((name) => name.startsWith('stage1/'))).toBe(true);
    expect(graph.input.map((input) => input.name)).toEqual(['image']);
    expect(graph.output.map((output) => output.name)).toEqual(['exit_0', 'exit_1', 'exit_2', 'exit_3']);
  });

  it('gives the fused graph the same logits as running the stages one after another', async () => {
    const { manifest, stages } = readV1Fixture();
    const image = testImages(manifest, 20);
    const fused = await runModel(fuseV1Fixture(), { image });
    let features = image;
    for (const [i, bytes] of stages.entries()) {
      const outputs = await runModel(bytes, { [i === 0 ? 'image' : 'features']: features });
      features = outputs.get('features_out') ?? features;
      expect(relativeError(outputs.get('logits')!, fused.get(`exit_${i}`)!)).toBe(0);
    }
  });

  it.each([
    ['a BERT-style model', bertLike],
    ['a model with a shared weight', sharedWeight],
  ])('is the inverse of partitionGraph on %s (shared weights kept once)', async (_, make) => {
    const model = make();
    const { partition, exits, probe } = await probeAndPartition(model);
    const fused = fuseStages(
      partition.stages.map((stage) => ({ model: stage.model })),
      { outputs: exits },
    );
    expect(fused.graph!.input.map((input) => input.name)).toEqual(
      model.graph!.input.map((input) => input.name),
    );
    const initializers = fused.graph!.initializer.map((tensor) => tensor.name);
    expect(new Set(initializers).size).toBe(initializers.length);
    expect(initializers.filter((name) => !name.startsWith('stage'))).toEqual(initializers);
    const again = await probeAndPartition(readModel(writeModel(fused)), exits);
    const errors = await stageErrors(model, again.partition, probe);
    for (const error of errors) expect(error).toBeLessThanOrEqual(1e-6);
  });

  it('fuses consecutive stages into one that takes the first one’s inputs and gives the last one’s outputs', async () => {
    const { partition } = await probeAndPartition(mlpChain());
    const [first, second] = partition.stages;
    const fused = fuseStages([{ model: first!.model }, { model: second!.model }], {
      outputs: ['h2', 'exit_1'],
    });
    expect(fused.graph!.input.map((input) => input.name)).toEqual(['x']);
    expect(fused.graph!.output.map((output) => output.name)).toEqual(['h2', 'exit_1']);
    // exit 0's head is dead weight here and is dropped.
    expect(fused.graph!.node.length).toBe(
      first!.model.graph!.node.length - 2 + second!.model.graph!.node.length,
    );
  });

  it.each([
    ['no stages', () => fuseStages([]), InvalidArgumentError, /at least one stage/],
    [
      'two stages giving the same output name',
      () => {
        const { stages } = readV1Fixture();
        return fuseStages([
          { model: readModel(stages[0]!) },
          { model: readModel(stages[1]!), inputs: { features: 'features_out' } },
        ]);
      },
      InvalidArgumentError,
      /stages 0 and 1 both output "features_out"; map one of them to another name/,
    ],
    [
      'an output no stage gives',
      () => fuseStages([{ model: mlpChain() }], { outputs: ['exit_9'] }),
      InvalidArgumentError,
      /no stage outputs "exit_9"/,
    ],
    [
      'stages of different opset versions',
      () => {
        const other = mlpChain();
        other.opsetImport[0]!.version = 13n;
        return fuseStages([
          { model: mlpChain() },
          { model: other, outputs: { exit_0: 'a', exit_1: 'b', exit_2: 'c' } },
        ]);
      },
      UnsupportedModelError,
      /stage 1 imports opset 13 of domain "ai.onnx" but stage 0 imports 17/,
    ],
  ])('rejects %s', (_, run, errorClass, message) => {
    expect(run).toThrow(errorClass);
    expect(run).toThrow(message);
  });
});
