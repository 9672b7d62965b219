import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createTensor, readNpz, type Tensor } from '@pcee/core';
import { type ModelProto, pruneToOutput, readModel, writeModel } from '@pcee/onnx';
import { createCpuSession, runSession } from '@pcee/runtime-node';
import { describe, expect, it } from 'vitest';
import { attachExits } from './attach-exits.js';

const fixtures = join(dirname(createRequire(import.meta.url).resolve('@pcee/onnx/package.json')), 'fixtures');

/** A fixture pruned to its last exit (a classifier without exits) and 96 of its reference inputs. */
function plainFixture(name: string, last: string) {
  const model = pruneToOutput(
    readModel(new Uint8Array(readFileSync(join(fixtures, `${name}.onnx`)))),
    last,
  ).model;
  const arrays = readNpz(new Uint8Array(readFileSync(join(fixtures, 'packages', name, 'reference.npz'))));
  const inputs = new Map<string, Tensor>(
    model
      .graph!.input.filter((input) => arrays.has(input.name))
      .map((input) => [input.name, arrays.get(input.name)!]),
  );
  return { model, inputs, samples: [...inputs.values()][0]!.shape[0]! };
}

/** Balanced labels 0, 1, …, classes − 1, 0, 1, … */
const labelsOf = (samples: number, classes: number) =>
  createTensor(
    'int64',
    [samples],
    BigInt64Array.from({ length: samples }, (_, k) => BigInt(k % classes)),
  );

async function outputsOf(model: ModelProto, inputs: ReadonlyMap<string, Tensor>) {
  const session = await createCpuSession(writeModel(model));
  try {
    return await runSession(session, inputs);
  } finally {
    await session.release();
  }
}

describe.each([
  ['skip-cnn', 'exit_2', 10, 'average'],
  ['tiny-bert', 'exit_3', 3, 'masked-mean'],
] as const)('attachExits on %s without its exits', (name, last, classes, pooling) => {
  const { model, inputs, samples } = plainFixture(name, last);

  it('grafts trained heads before the original output, whose logits stay bit-identical', async () => {
    const result = await attachExits(model, inputs, labelsOf(samples, classes), {
      exits: 2,
      source: `${name}.onnx`,
    });
    expect(result.classes).toBe(classes);
    expect(result.output).toBe(last);
    expect(result.model.graph!.output.map((output) => output.name)).toEqual(['exit_0', 'exit_1', last]);
    expect(result.exits.map((exit) => exit.pooling)).toEqual([pooling, pooling]);
    for (const exit of result.exits) {
      expect(exit.share).toBeGreaterThan(0);
      expect(exit.share).toBeLessThan(1);
      expect(exit.trainAccuracy).toBeGreaterThanOrEqual(0);
      expect(exit.validationAccuracy).toBeLessThanOrEqual(1);
    }
    expect(result.exits[1]!.share).toBeGreaterThan(result.exits[0]!.share);
    expect(result.trainSamples + result.validationSamples).toBe(samples);
    const before = await outputsOf(model, inputs);
    const after = await outputsOf(result.model, inputs);
    expect(after.get(last)!.data).toEqual(before.get(last)!.data);
    expect(after.get('exit_0')!.shape).toEqual([samples, classes]);
  });

  it('is deterministic: the same options write the same bytes', async () => {
    const run = async () =>
      writeModel(
        (await attachExits(model, inputs, labelsOf(samples, classes), { exits: 2, head: 'mlp', hidden: 8 }))
          .model,
      );
    expect(Buffer.from(await run()).equals(Buffer.from(await run()))).toBe(true);
  });
});

describe('attachExits rejects bad input with a one-line error that names the fix', () => {
  const cnn = plainFixture('skip-cnn', 'exit_2');
  const labels = labelsOf(cnn.samples, 10);
  const staticBatch = () => {
    const model = readModel(writeModel(cnn.model));
    const dimension = (model.graph!.input[0]!.type!.value.value as { shape: { dim: { value: unknown }[] } })
      .shape.dim[0]!;
    dimension.value = { case: 'dimValue', value: 96n };
    return model;
  };
  it.each([
    [
      'an output that is not [batch, classes]',
      () =>
        pruneToOutput(
          cnn.model,
          '/Relu_output_0',
          new Map([['/Relu_output_0', { dtype: 'float32', shape: ['batch', 32, 7, 7] }]]),
        ).model,
      labels,
      {},
      /not logits \[batch, classes\].*--output/,
    ],
    [
      'a tensor that does not exist',
      () => cnn.model,
      labels,
      { at: ['nope'] },
      /has no tensor "nope"; cut points are: .*pcee inspect/,
    ],
    [
      'a tensor a skip connection crosses',
      () => cnn.model,
      labels,
      { at: ['/blocks.0/Relu_output_0'] },
      /"\/blocks.0\/Relu_output_0" is not a cut point .*choose one of/,
    ],
    [
      'labels out of range',
      () => cnn.model,
      labelsOf(cnn.samples, 11),
      {},
      /labels\[10\] is 10 but the model has 10 classes \(0–9\)/,
    ],
    [
      'too few samples of a class',
      () => cnn.model,
      createTensor(
        'int64',
        [cnn.samples],
        BigInt64Array.from({ length: cnn.samples }, (_, k) => BigInt(k < 3 ? 9 : k % 9)),
      ),
      {},
      /class 9 has 3 samples; each class needs at least 4/,
    ],
    [
      'a static batch axis',
      staticBatch,
      labels,
      {},
      /static batch dimension of 96; export with a dynamic batch axis/,
    ],
  ] as const)('%s', async (_, model, labelTensor, options, message) => {
    const attempt = attachExits(model(), cnn.inputs, labelTensor, {
      ...options,
      exits: 2,
      source: 'model.onnx',
    });
    await expect(attempt).rejects.toThrow(message);
    await attempt.catch((error: Error) => expect(error.message).not.toContain('\n'));
  });
});
