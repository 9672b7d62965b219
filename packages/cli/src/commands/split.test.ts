import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createTensor, readNpz, type StageTensor, type Tensor, traceModel } from '@pcee/core';
import { modelDir } from '@pcee/models';
import { moveToExternalData, readModel, writeModel } from '@pcee/onnx';
import { bertLike, controlFlow, GraphBuilder, mlpChain, sequenceFirst } from '@pcee/onnx/testing';
import { nodeRuntime, openModelPackage } from '@pcee/runtime-node';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, temporaryFolder, writeTensorsFile } from '../../test-support/run-cli.js';
import {
  bundledManifest,
  fusedBundledModel,
  onnxFixtures,
  preprocessedImages,
  writeOnnx,
} from '../../test-support/split-models.js';
import { formatCost } from '../table.js';

const folder = temporaryFolder();
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

async function logitsOf(path: string, feeds: Record<string, Tensor>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(path);
  const inputs = Object.fromEntries(
    session.inputNames.map((name) => [
      name,
      new ort.Tensor('float32', feeds[name]!.data as Float32Array, feeds[name]!.shape),
    ]),
  );
  const outputs = await session.run(inputs);
  await session.release();
  return Object.fromEntries(
    Object.entries(outputs).map(([name, tensor]) => [name, tensor.data as Float32Array]),
  );
}

function relativeError(a: Float32Array, b: Float32Array): number {
  let difference = 0;
  let scale = 0;
  for (let k = 0; k < a.length; k++) {
    difference = Math.max(difference, Math.abs(a[k]! - b[k]!));
    scale = Math.max(scale, Math.abs(a[k]!));
  }
  return difference / scale;
}

/** `text` as a literal inside a RegExp. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('pcee split on a bundled model fused into one multi-exit ONNX', () => {
  const id = 'fmnist-cnn-small';
  const shipped = bundledManifest(id);
  const last = shipped.stages.length - 1;
  const names = (bindings: readonly { name: string }[]) => bindings.map((binding) => binding.name);
  const out = join(folder, 'cnn-small');
  const images = preprocessedImages(id, 300);
  let stderr = '';
  let stdout = '';

  beforeAll(async () => {
    const model = writeOnnx(folder, 'cnn-small.onnx', fusedBundledModel(id));
    const inputs = writeTensorsFile(folder, 'images.npz', { image: images });
    const classes = join(folder, 'classes.txt');
    writeFileSync(classes, `${shipped.classes.join('\n')}\n`);
    const result = await runCli(
      'split',
      model,
      '--out',
      out,
      '--inputs',
      inputs,
      '--classes',
      classes,
      '--id',
      'cnn-small-split',
      '--description',
      'round trip',
    );
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    ({ stderr, stdout } = result);
  });

  it('prints the split table and the verification on the given inputs', () => {
    expect(stdout.split('\n')[0]).toMatch(
      /^stage\s+consumes\s+produces \(carried\)\s+logits\s+backbone FLOPs\s+head FLOPs\s+cumulative\s+% of full\s+parameters$/,
    );
    expect(stdout.trim().split('\n')).toHaveLength(shipped.stages.length + 1);
    const stage = shipped.stages[1]!;
    const row = [
      '1',
      names(stage.consumes).join(', '),
      names(stage.produces).join(', '),
      'exit_1',
      formatCost(stage.flops.backbone),
      formatCost(stage.flops.head),
      formatCost(shipped.exitCosts[1]!),
    ];
    expect(stdout).toMatch(new RegExp(`^${row.map(literal).join('\\s+')}\\s`, 'm'));
    expect(stderr).toMatch(
      /verified 300 samples of images\.npz: largest relative difference \S+ \(exit "exit_\d+", at most 1e-5 allowed\)/,
    );
  });

  it('writes model.json v2 with the inputs, classes, the shipped bindings and carried tensors, and sha256 of every file', () => {
    const manifest = read(join(out, 'model.json'));
    expect(manifest).toMatchObject({
      format: 'pcee-model',
      version: 2,
      id: 'cnn-small-split',
      description: 'round trip',
      inputs: [{ name: 'image', dtype: 'float32', shape: ['batch', 1, 28, 28] }],
      classes: shipped.classes,
      costUnit: 'flops',
      full: { file: 'full.onnx', inputs: ['image'], output: `exit_${last}` },
    });
    expect(
      manifest.stages.map((stage: { consumes: string[]; produces: string[] }) => [
        stage.consumes,
        stage.produces,
      ]),
    ).toEqual(shipped.stages.map((stage) => [names(stage.consumes), names(stage.produces)]));
    expect(manifest.tensors).toEqual(shipped.tensors);
    for (const { file, sha256 } of [...manifest.stages, manifest.full]) {
      expect(
        createHash('sha256')
          .update(readFileSync(join(out, file)))
          .digest('hex'),
      ).toBe(sha256);
    }
  });

  it('writes a package core opens (manifest checks and every sha256)', async () => {
    const opened = await openModelPackage(out);
    expect(opened.manifest.stages[1]!.consumes).toEqual(shipped.stages[1]!.consumes);
  });

  it('records the shipped manifest’s FLOPs (within 1%)', () => {
    const manifest = read(join(out, 'model.json'));
    const close = (ours: number, theirs: number) =>
      expect(Math.abs(ours - theirs)).toBeLessThanOrEqual(0.01 * theirs);
    manifest.stages.forEach((stage: { flops: { backbone: number; head: number } }, k: number) => {
      close(stage.flops.backbone, shipped.stages[k]!.flops.backbone);
      close(stage.flops.head, shipped.stages[k]!.flops.head);
    });
    close(manifest.fullModelCost, shipped.fullModelCost);
    manifest.exitCosts.forEach((cost: number, k: number) => {
      close(cost, shipped.exitCosts[k]!);
    });
  });

  it('writes stage files that reproduce the shipped stages’ logits on 300 test images (≤ 1e-5)', async () => {
    const manifest = read(join(out, 'model.json'));
    // Both packages bind the same tensor names, so one pool feeds the shipped and the split stages.
    const pool: Record<string, Tensor> = { image: images };
    for (const [k, stage] of manifest.stages.entries()) {
      const ours = await logitsOf(join(out, stage.file), pool);
      const theirs = await logitsOf(join(modelDir(id), shipped.stages[k]!.file), pool);
      for (const name of stage.produces)
        pool[name] = createTensor(
          'float32',
          [300, ...manifest.tensors.find((t: { name: string }) => t.name === name).shape.slice(1)],
          ours[name]!,
        );
      expect(relativeError(theirs[shipped.stages[k]!.logits]!, ours[stage.logits]!)).toBeLessThanOrEqual(
        1e-5,
      );
    }
    const full = await logitsOf(join(out, 'full.onnx'), { image: images });
    const shippedFull = await logitsOf(join(modelDir(id), shipped.full!.file), { image: images });
    expect(relativeError(shippedFull[shipped.full!.output]!, full[`exit_${last}`]!)).toBeLessThanOrEqual(
      1e-5,
    );
  });
});

describe('pcee split on models the bundled ones are not', () => {
  it.each([
    [
      'a BERT-style classifier with int64 input_ids and attention_mask',
      bertLike,
      [
        { name: 'input_ids', dtype: 'int64', shape: ['batch', 'sequence'] },
        { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'sequence'] },
      ],
      [
        { name: 'mask_additive', dtype: 'float32', shape: ['batch', 1, 'sequence'] },
        { name: 'hidden_1', dtype: 'float32', shape: ['batch', 'sequence', 16] },
        { name: 'hidden_2', dtype: 'float32', shape: ['batch', 'sequence', 16] },
      ],
    ],
    [
      'hidden states carried sequence-first',
      sequenceFirst,
      [{ name: 'x', dtype: 'float32', shape: ['batch', 'sequence', 4] }],
      [{ name: 'sequence_first::batch_first', dtype: 'float32', shape: ['batch', 'sequence', 4] }],
    ],
  ])('%s: verified on random inputs, the carried tensors declared', async (name, make, inputs, tensors) => {
    const out = join(folder, name.replaceAll(' ', '-'));
    const result = await runCli(
      'split',
      writeOnnx(folder, `${name.replaceAll(' ', '-')}.onnx`, make()),
      '--out',
      out,
    );
    expect(result.stderr).toMatch(/verified 16 samples of random inputs: largest relative difference/);
    expect(result.code).toBe(0);
    const manifest = read(join(out, 'model.json'));
    expect(manifest.inputs).toEqual(inputs);
    expect(manifest.tensors).toEqual(tensors);
    expect(manifest.classes).toEqual(['class_0', 'class_1', 'class_2']);
    // The package opens: core's manifest checks (costs add up, tensor flow) and every sha256.
    expect((await openModelPackage(out)).manifest.stages).toHaveLength(manifest.stages.length);
  });

  it('takes --inputs with an array named x for a single-input model', async () => {
    const x = createTensor(
      'float32',
      [4, 8],
      Float32Array.from({ length: 32 }, (_, k) => Math.sin(k)),
    );
    const inputs = writeTensorsFile(folder, 'x.npz', {
      x,
      labels: createTensor('int64', [4], new BigInt64Array(4)),
    });
    const result = await runCli(
      'split',
      writeOnnx(folder, 'mlp.onnx', mlpChain()),
      '--out',
      join(folder, 'mlp'),
      '--inputs',
      inputs,
      '--exits',
      'exit_0,exit_2',
    );
    expect(result.stderr).toMatch(/verified 4 samples of x\.npz/);
    expect(result.code).toBe(0);
    expect(
      read(join(folder, 'mlp', 'model.json')).stages.map((stage: { logits: string }) => stage.logits),
    ).toEqual(['exit_0', 'exit_2']);
  });

  it('reads weights from external data beside the model', async () => {
    const model = readModel(writeModel(mlpChain()));
    const data = moveToExternalData(model, 'mlp-external.onnx.data', 0);
    mkdirSync(join(folder, 'external'));
    writeFileSync(join(folder, 'external', 'mlp-external.onnx.data'), data);
    const path = writeOnnx(join(folder, 'external'), 'mlp-external.onnx', model);
    const result = await runCli('split', path, '--out', join(folder, 'external-out'));
    expect(result.code).toBe(0);
  });

  const fixtures = onnxFixtures();
  it.skipIf(fixtures.length === 0).each(fixtures)(
    'splits the PyTorch export %s into a package the runtime runs, reproducing PyTorch’s logits (1e-4)',
    async (path) => {
      const out = join(folder, `fixture-${basename(path, '.onnx')}`);
      const samples = path.replace(/\.onnx$/, '.npz');
      const result = await runCli('split', path, '--out', out, '--inputs', samples);
      expect(result.stderr).toMatch(/verified 16 samples of .*\.npz/);
      expect(result.code).toBe(0);
      const arrays = readNpz(new Uint8Array(readFileSync(samples)));
      const reference = arrays.get('logits')!;
      const modelPackage = await openModelPackage(out);
      const inputs = Object.fromEntries(
        modelPackage.manifest.inputs.map((input) => {
          const tensor = arrays.get(input.name)!;
          return [input.name, { dtype: tensor.dtype, data: tensor.data, shape: tensor.shape } as StageTensor];
        }),
      );
      const model = await nodeRuntime.load(modelPackage);
      try {
        const traced = await traceModel(model, inputs, { batchSize: 5 });
        let largest = 0;
        for (let k = 0; k < traced.logits.length; k++) {
          largest = Math.max(largest, Math.abs(traced.logits[k]! - Number(reference.data[k])));
        }
        expect(largest).toBeLessThanOrEqual(1e-4);
      } finally {
        await model.dispose();
      }
    },
  );
});

describe('pcee split errors: one line naming the value and the fix', () => {
  const make = (name: string, model: Parameters<typeof writeOnnx>[2]) => writeOnnx(folder, name, model);
  const noise = () => {
    // A random op in exit 0's head: the original and the stages draw different numbers.
    const g = new GraphBuilder(3);
    const x = g.input('x', 'float32', ['batch', 4]);
    const h = g.op('Relu', [g.linear(x, 4, 4)]);
    g.output('exit_0', 'float32', ['batch', 3]);
    g.op('Add', [g.linear(h, 4, 3), g.op('RandomNormalLike', [g.linear(h, 4, 3)])], {}, 'exit_0');
    g.output('exit_1', 'float32', ['batch', 3]);
    g.linear(g.op('Relu', [g.linear(h, 4, 4)]), 4, 3, 'exit_1');
    return g.build();
  };
  const staticBatch = () => {
    const g = new GraphBuilder();
    g.output('exit_0', 'float32', [2, 3]);
    g.linear(g.input('x', 'float32', [2, 4]), 4, 3, 'exit_0');
    return g.build();
  };
  const noExits = () => {
    const g = new GraphBuilder();
    g.output('features', 'float32', ['batch', 4, 2]);
    g.op('Relu', [g.input('x', 'float32', ['batch', 4, 2])], {}, 'features');
    return g.build();
  };
  const textFile = join(folder, 'notes.onnx');
  writeFileSync(textFile, 'this is not a model\n');
  const externalMissing = () => {
    const model = readModel(writeModel(mlpChain()));
    moveToExternalData(model, 'gone.data', 0);
    return model;
  };
  const classes = join(folder, 'two-classes.txt');
  writeFileSync(classes, 'cat\ndog\n');

  it.each([
    ['a missing file', () => [join(folder, 'nope.onnx')], /^error: ONNX model not found: .*nope\.onnx$/],
    [
      'a file that is not ONNX',
      () => [textFile],
      /^error: notes\.onnx is not an ONNX model .*torch\.onnx\.export/,
    ],
    [
      'an unknown exit',
      () => [make('a.onnx', mlpChain()), '--exits', 'exit_0,logits'],
      /^error: unknown exit "logits": a\.onnx has no tensor of that name; its outputs are: exit_0, exit_1, exit_2$/,
    ],
    [
      'exits out of depth order',
      () => [make('b.onnx', mlpChain()), '--exits', 'exit_2,exit_1,exit_0'],
      /^error: no exit after "exit_1" builds on its stage .* --exits exit_0,exit_1,exit_2$/,
    ],
    [
      'an exit that does not depend on the inputs',
      () => [make('c.onnx', mlpChain()), '--exits', 'x'],
      /^error: exit "x" does not depend on the model inputs/,
    ],
    [
      'control flow inside a stage',
      () => [make('d.onnx', controlFlow())],
      /^error: stage 1 \(exit "exit_1"\) contains control flow: If node/,
    ],
    [
      'missing external data',
      () => [make('e.onnx', externalMissing())],
      /^error: e\.onnx keeps weight "w0" in the external data file "gone\.data", which was not found/,
    ],
    [
      'a static batch dimension',
      () => [make('f.onnx', staticBatch())],
      /^error: input "x" of f\.onnx has a static batch dimension of 2; export with a dynamic batch axis/,
    ],
    [
      'no [batch, classes] output',
      () => [make('g.onnx', noExits())],
      /^error: no output of g\.onnx is a \[batch, classes\] float tensor .*--exits a,b,c$/,
    ],
    [
      'a model the stages do not reproduce',
      () => [make('h.onnx', noise())],
      /^error: the stages do not reproduce h\.onnx: exit "exit_0" differs by .* export it in eval mode/,
    ],
    [
      'a classes file of the wrong length',
      () => [make('i.onnx', mlpChain()), '--classes', classes],
      /^error: two-classes\.txt names 2 classes but the exits have 3/,
    ],
    [
      '--inputs without the model input',
      () => [
        make('j.onnx', bertLike()),
        '--inputs',
        writeTensorsFile(folder, 'ids.npz', {
          input_ids: createTensor('int64', [1, 4], new BigInt64Array(4)),
        }),
      ],
      /^error: ids\.npz has no array "attention_mask" \(it holds: input_ids\)/,
    ],
    [
      '--inputs of the wrong dtype',
      () => [
        make('k.onnx', mlpChain()),
        '--inputs',
        writeTensorsFile(folder, 'f64.npz', { x: createTensor('float64', [1, 8], new Float64Array(8)) }),
      ],
      /^error: f64\.npz: "x" is float64 but the model input is float32/,
    ],
    [
      '--out naming a file',
      () => [make('l.onnx', mlpChain()), '--out', textFile],
      /^error: --out .*notes\.onnx is a file; give a folder for the model package$/,
    ],
  ])('%s', async (_, args, message) => {
    const argv = args();
    const result = await runCli(
      'split',
      ...argv,
      ...(argv.includes('--out') ? [] : ['--out', join(folder, 'error-out')]),
    );
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('error:'))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(message);
  });
});
