import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createTensor, readNpz, readTraces, type Tensor } from '@pcee/core';
import { pruneToOutput, readModel } from '@pcee/onnx';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, temporaryFolder, writeTensorsFile } from '../../test-support/run-cli.js';
import { writeOnnx } from '../../test-support/split-models.js';

const fixtures = join(dirname(createRequire(import.meta.url).resolve('@pcee/onnx/package.json')), 'fixtures');
const folder = temporaryFolder();

/**
 * A fixture pruned to its last exit (a classifier without exits, as a user brings it) and a
 * training file: its 96 reference inputs with balanced labels.
 */
function plainFixture(name: string, last: string, classes: number) {
  const model = pruneToOutput(
    readModel(new Uint8Array(readFileSync(join(fixtures, `${name}.onnx`)))),
    last,
  ).model;
  const modelPath = writeOnnx(folder, `${name}-plain.onnx`, model);
  const arrays = readNpz(new Uint8Array(readFileSync(join(fixtures, 'packages', name, 'reference.npz'))));
  const tensors: Record<string, Tensor> = {};
  for (const input of model.graph!.input) tensors[input.name] = arrays.get(input.name)!;
  const samples = Object.values(tensors)[0]!.shape[0]!;
  tensors.labels = createTensor(
    'int64',
    [samples],
    BigInt64Array.from({ length: samples }, (_, k) => BigInt(k % classes)),
  );
  return { modelPath, dataPath: writeTensorsFile(folder, `${name}-train.npz`, tensors), tensors, samples };
}

async function onnxOutputs(
  path: string,
  feeds: Record<string, Tensor>,
): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(path);
  const inputs = Object.fromEntries(
    session.inputNames.map((name) => [
      name,
      new ort.Tensor(feeds[name]!.dtype as 'float32', feeds[name]!.data as Float32Array, feeds[name]!.shape),
    ]),
  );
  const outputs = await session.run(inputs);
  await session.release();
  return Object.fromEntries(
    Object.entries(outputs).map(([name, tensor]) => [name, tensor.data as Float32Array]),
  );
}

describe.each([
  ['skip-cnn', 'exit_2', 10],
  ['tiny-bert', 'exit_3', 3],
] as const)('pcee attach on %s without its exits', (name, last, classes) => {
  const { modelPath, dataPath, tensors, samples } = plainFixture(name, last, classes);

  it('round trip: attach → split → trace equals the grafted ONNX through onnxruntime within 1e-4', async () => {
    const out = join(folder, `${name}-exits.onnx`);
    const packageDir = join(folder, `${name}-package`);
    const attached = await runCli(
      'attach',
      modelPath,
      dataPath,
      '--out',
      out,
      '--exits',
      '2',
      '--package',
      packageDir,
    );
    expect(attached.code, attached.stderr).toBe(0);
    expect(attached.stdout).toMatch(/^exit_0 .*\n^exit_1 .*\n^.*\(original output\)/m);
    expect(attached.stdout).toContain('val acc');
    expect(attached.stderr).toMatch(/peak memory \d+ MiB/);
    expect(attached.stderr).toMatch(/wrote 3 stages, full.onnx and model.json/);

    const traces = join(folder, `${name}-traces.npz`);
    const traced = await runCli('trace', packageDir, dataPath, '--out', traces);
    expect(traced.code, traced.stderr).toBe(0);
    const { logits } = readTraces(new Uint8Array(readFileSync(traces)));
    const reference = await onnxOutputs(out, tensors);
    const exits = ['exit_0', 'exit_1', last];
    let worst = 0;
    for (let n = 0; n < samples; n++) {
      for (const [l, exit] of exits.entries()) {
        for (let c = 0; c < classes; c++) {
          const traceValue = logits[(n * exits.length + l) * classes + c]!;
          worst = Math.max(worst, Math.abs(traceValue - reference[exit]![n * classes + c]!));
        }
      }
    }
    expect(worst).toBeLessThan(1e-4);
    // The original output is untouched: the last exit of the package is the input model's output.
    const original = await onnxOutputs(modelPath, tensors);
    expect(reference[last]).toEqual(original[last]);
  });
});

it('pcee inspect lists the cut points where attach can put heads, with their FLOP share', async () => {
  const { modelPath } = plainFixture('skip-cnn', 'exit_2', 10);
  const result = await runCli('inspect', modelPath);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/cut points before exit_2 .*--at <tensor>/);
  expect(result.stdout).toMatch(/^\/Relu_output_0\s+\[batch, 32, 7, 7\]\s+\S+\s+62\.0%$/m);
  const json = JSON.parse((await runCli('inspect', modelPath, '--json')).stdout);
  expect(json.cutPoints.map((point: { name: string }) => point.name)).not.toContain(
    '/blocks.0/Relu_output_0',
  );
});

describe('pcee attach errors', () => {
  const { modelPath, dataPath, tensors } = plainFixture('skip-cnn', 'exit_2', 10);
  const noLabels = writeTensorsFile(folder, 'no-labels.npz', { image: tensors.image! });
  const samples = tensors.image!.shape[0]!;
  const badLabels = writeTensorsFile(folder, 'bad-labels.npz', {
    image: tensors.image!,
    labels: createTensor(
      'int64',
      [samples],
      BigInt64Array.from({ length: samples }, (_, k) => BigInt(k % 11)),
    ),
  });
  // A graph whose only output is a feature map, not logits.
  const featureMapModel = writeOnnx(
    folder,
    'feature-map.onnx',
    pruneToOutput(
      readModel(readFileSync(modelPath)),
      '/Relu_output_0',
      new Map([['/Relu_output_0', { dtype: 'float32', shape: ['batch', 32, 7, 7] }]]),
    ).model,
  );

  it.each([
    ['a tensor that does not exist', ['--at', 'nope'], dataPath, /has no tensor "nope"; cut points are: /],
    [
      'a tensor inside a skip connection',
      ['--at', '/blocks.0/Relu_output_0'],
      dataPath,
      /is not a cut point/,
    ],
    ['a data file without labels', [], noLabels, /no-labels.npz has no "labels" array .*labels=y/],
    ['an unknown head kind', ['--head', 'tree'], dataPath, /use --head linear or --head mlp/],
    [
      'labels out of range',
      [],
      badLabels,
      /bad-labels.npz: labels\[10\] is 10 but the model has 10 classes \(0–9\)/,
    ],
    [
      'an output that is not logits',
      ['--model', featureMapModel],
      dataPath,
      /output "\/Relu_output_0" of feature-map.onnx is float32 \[batch, 32, 7, 7\], not logits/,
    ],
  ])('%s: one line naming the fix', async (_, flags, data, message) => {
    // '--model <path>' in the table swaps the model file; it is not a pcee flag.
    const model = flags[0] === '--model' ? flags[1]! : modelPath;
    const rest = flags[0] === '--model' ? flags.slice(2) : flags;
    expectOneLineError(
      await runCli('attach', model, data, '--out', join(folder, 'x.onnx'), ...rest),
      message,
    );
  });
});
