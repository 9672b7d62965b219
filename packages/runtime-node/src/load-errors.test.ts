import { copyFile, mkdtemp, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DeviceUnavailableError,
  InvalidInputError,
  InvalidManifestError,
  preprocessInput,
  RuntimeFailureError,
  sliceRows,
  type TensorMap,
} from '@pcee/core';
import { modelDir } from '@pcee/models';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFullModel } from './full-model.js';
import { openModelPackage } from './model-package.js';
import { nodeRuntime } from './node-runtime.js';
import { loadReferenceModel, referenceInputs } from './test-support/reference-models.js';

const reference = await loadReferenceModel('fmnist-cnn-small', 8);
const capabilities = await nodeRuntime.capabilities();
const cudaAvailable = capabilities.devices.find((device) => device.name === 'cuda')!.available;
const folders: string[] = [];

/** A copy of the small model's package in a temporary folder, to damage. */
async function copyPackage(): Promise<string> {
  const source = modelDir('fmnist-cnn-small');
  const folder = await mkdtemp(join(tmpdir(), 'pcee-runtime-node-'));
  folders.push(folder);
  for (const name of await readdir(source)) {
    if (name.endsWith('.onnx') || name === 'model.json')
      await copyFile(join(source, name), join(folder, name));
  }
  return folder;
}

afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

describe('devices', () => {
  it('reports cpu, cuda and webgpu as plain data, cpu available', () => {
    expect(capabilities.runtime).toBe('onnxruntime-node');
    expect(capabilities.devices.map((device) => device.name)).toEqual(['cpu', 'cuda', 'webgpu']);
    expect(capabilities.devices[0]).toEqual({ name: 'cpu', available: true });
    for (const device of capabilities.devices.filter((entry) => !entry.available)) {
      expect(device.reason).toMatch(/\w/);
    }
  });

  it.skipIf(cudaAvailable)('refuses cuda where it is missing, naming the available devices', async () => {
    const error = await nodeRuntime.load(reference.model, { device: 'cuda' }).catch((caught) => caught);
    expect(error).toBeInstanceOf(DeviceUnavailableError);
    expect(error.message).toMatch(/"cuda" not available here/);
    // The fix it names runs onnxruntime-node's install step (see install-cuda.test.ts).
    expect(error.message).toMatch(/install them with: npm run install:cuda -w @pcee\/runtime-node/);
    expect(error.message).toMatch(/available: cpu/);
  });

  it('falls back along a device list only: [cuda, cpu] → the first available', async () => {
    const model = await nodeRuntime.load(reference.model, { device: ['cuda', 'cpu'] });
    expect(model.device).toBe(cudaAvailable ? 'cuda' : 'cpu');
    await model.dispose();
  });

  it.each([
    [{ threads: 0 }, /threads must be a positive integer/],
    [{ graphOptimization: 'fast' as never }, /graph optimisation level "fast"/],
  ])('rejects bad session options %o', async (options, message) => {
    await expect(nodeRuntime.load(reference.model, options)).rejects.toThrow(message);
  });
});

describe('damaged packages', () => {
  it('a truncated stage file fails its sha256 check when the package is opened, naming the file', async () => {
    const folder = await copyPackage();
    await truncate(join(folder, 'stage-1.onnx'), 100);
    const error = await openModelPackage(folder).catch((caught) => caught);
    expect(error).toBeInstanceOf(InvalidManifestError);
    expect(error.message).toMatch(
      /stage-1\.onnx of model "fmnist-cnn-small" has sha256 .* but model\.json expects/,
    );
  });

  it('a deleted stage file is a clear error naming it', async () => {
    const folder = await copyPackage();
    await rm(join(folder, 'stage-2.onnx'));
    const error = await openModelPackage(folder).catch((caught) => caught);
    expect(error).toBeInstanceOf(InvalidManifestError);
    expect(error.message).toMatch(/stage-2\.onnx listed in model\.json cannot be read \(ENOENT\)/);
  });

  it('bytes onnxruntime cannot parse are a RuntimeFailureError naming the file', async () => {
    const folder = await copyPackage();
    const model = await openModelPackage(folder);
    // Bypass the sha256 check to reach onnxruntime with a corrupt file (as a package whose
    // manifest was regenerated over a broken export would).
    const corrupt = { ...model, readFile: async () => new Uint8Array([8, 1, 18, 4, 1, 2, 3]) };
    const error = await nodeRuntime.load(corrupt).catch((caught) => caught);
    expect(error).toBeInstanceOf(RuntimeFailureError);
    expect(error.message).toMatch(/onnxruntime cannot load stage-0\.onnx of model "fmnist-cnn-small"/);
  });
});

describe('inputs', () => {
  it.each([
    [
      'a wrong image size',
      { dtype: 'float32', data: new Float32Array(2 * 27 * 27), shape: [2, 1, 27, 27] },
      /expects input "image" of shape \[N, 1, 28, 28\] but got \[2, 1, 27, 27\]/,
    ],
    [
      'a missing channel axis',
      { dtype: 'float32', data: new Float32Array(2 * 28 * 28), shape: [2, 28, 28] },
      /shape \[N, 1, 28, 28\] but got \[2, 28, 28\]/,
    ],
    [
      'float64 data',
      { dtype: 'float64', data: new Float64Array(784), shape: [1, 1, 28, 28] },
      /expects input "image" of type float32 but got float64; convert the data to float32/,
    ],
    [
      'a dtype that does not match its storage',
      { dtype: 'int64', data: new Float32Array(784), shape: [1, 1, 28, 28] },
      /got int64 data in a Float32Array; int64 is held in a BigInt64Array/,
    ],
    [
      'dims that do not fit the data',
      { dtype: 'float32', data: new Float32Array(784), shape: [2, 1, 28, 28] },
      /1568 values\) but 784 values/,
    ],
  ])('refuses %s with an InvalidInputError', async (_, input, message) => {
    const model = await nodeRuntime.load(reference.model);
    const error = await model.runStage(0, { image: input as never }).catch((caught) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(message);
    await model.dispose();
  });

  it('refuses a stage run without the tensors it consumes, naming them', async () => {
    const { stages } = reference.model.manifest;
    const model = await nodeRuntime.load(reference.model);
    const { tensors } = await model.runStage(0, { image: sliceRows(reference.inputs, 0, 2) });
    const produced = stages[0]!.produces.map((tensor) => tensor.name);
    expect(Object.keys(tensors)).toEqual(produced);
    // The first later stage that reads a tensor stage 0 does not make.
    const later = stages.find((stage) => stage.consumes.some((tensor) => !produced.includes(tensor.name)))!;
    const missing = later.consumes.find((tensor) => !produced.includes(tensor.name))!.name;
    const given = produced.map((name) => `"${name}"`).join(', ');
    await expect(model.runStage(later.index, tensors)).rejects.toThrow(
      `needs tensor "${missing}" but got ${given}`,
    );
    await expect(model.runStage(stages.length, tensors)).rejects.toThrow(
      `stage ${stages.length} does not exist`,
    );
    await model.dispose();
  });

  it('refuses a bare tensor for a model input map (a v1 call shape), naming the input', async () => {
    const model = await nodeRuntime.load(reference.model);
    await expect(model.runStage(0, reference.inputs as never)).rejects.toThrow(/needs tensor "image"/);
    await model.dispose();
  });
});

describe('full model baseline', () => {
  it('runs full.onnx with the final exit logits of the staged model', async () => {
    const full = await loadFullModel(reference.model, { device: 'cpu', threads: 1 });
    const logits = await full.run(reference.inputs);
    expect(logits.shape).toEqual([8, 10]);
    const { exits, classes } = reference.testTraces;
    for (let sample = 0; sample < 8; sample++) {
      for (let label = 0; label < classes; label++) {
        const traced = reference.testTraces.logits[(sample * exits + exits - 1) * classes + label]!;
        expect(Math.abs(logits.data[sample * classes + label]! - traced)).toBeLessThan(1e-4);
      }
    }
    await full.dispose();
    await full.dispose();
    await expect(full.run(reference.inputs)).rejects.toThrow(/was disposed/);
  });
});

describe('a version 1 package (the v1 fixture: fmnist-cnn-small as shipped before the v2 zoo)', () => {
  const folder = fileURLToPath(new URL('../../onnx/fixtures/v1/fmnist-cnn-small-v1/', import.meta.url));

  it('carries features@i between stages and reproduces its full.onnx', async () => {
    const modelPackage = await openModelPackage(folder);
    const image = preprocessInput(modelPackage.manifest.inputs[0]!, referenceInputs(8));
    const model = await nodeRuntime.load(modelPackage);
    const full = await loadFullModel(modelPackage, { device: 'cpu', threads: 1 });
    try {
      let tensors: TensorMap = { image };
      let logits: Float32Array = new Float32Array(0);
      for (let stage = 0; stage < model.stages; stage++) {
        const output = await model.runStage(stage, tensors);
        const next = stage + 1 < model.stages ? [`features@${stage + 1}`] : [];
        expect(Object.keys(output.tensors)).toEqual(next);
        if (stage === 0) {
          await expect(model.runStage(2, output.tensors)).rejects.toThrow(
            /needs tensor "features@2" but got "features@1"/,
          );
        }
        ({ tensors } = output);
        logits = output.logits.data;
      }
      const reference = await full.run(image);
      for (let k = 0; k < logits.length; k++) {
        expect(Math.abs(logits[k]! - reference.data[k]!)).toBeLessThan(1e-4);
      }
    } finally {
      await model.dispose();
      await full.dispose();
    }
  });
});
