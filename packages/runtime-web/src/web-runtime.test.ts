import {
  DeviceUnavailableError,
  InvalidArgumentError,
  InvalidManifestError,
  type TensorMap,
} from '@pcee/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWebRuntime, webRuntime } from './index.js';
import { loadReferenceModel, type ReferenceModel } from './test-support/reference-models.js';
import { createWebRuntime as createWasmOnlyRuntime } from './wasm.js';

let reference: ReferenceModel;
beforeAll(async () => {
  reference = await loadReferenceModel('fmnist-cnn-small', 8);
});

describe('devices in Node', () => {
  it('lists wasm as available and webgpu as unavailable with the reason', async () => {
    const capabilities = await webRuntime.capabilities();
    expect(capabilities.runtime).toBe('onnxruntime-web');
    expect(capabilities.version).toBe('1.30.0');
    expect(capabilities.devices.map((device) => [device.name, device.available])).toEqual([
      ['wasm', true],
      ['webgpu', false],
    ]);
    expect(capabilities.devices[1]!.reason).toMatch(/@pcee\/runtime-node/);
  });

  it('refuses webgpu with a DeviceUnavailableError naming the available devices', async () => {
    const load = webRuntime.load(reference.model, { device: 'webgpu' });
    await expect(load).rejects.toBeInstanceOf(DeviceUnavailableError);
    await expect(load).rejects.toThrow(/available: wasm/);
  });

  it('falls back only when given a list', async () => {
    const model = await webRuntime.load(reference.model, { device: ['webgpu', 'wasm'] });
    expect(model.device).toBe('wasm');
    await model.dispose();
  });

  it('the wasm-only flavour says which entry point has webgpu', async () => {
    const capabilities = await createWasmOnlyRuntime().capabilities();
    const webgpu = capabilities.devices.find((device) => device.name === 'webgpu');
    expect(webgpu?.reason).toMatch(/import @pcee\/runtime-web\/webgpu/);
  });

  it('rejects an invalid thread count before touching onnxruntime', async () => {
    await expect(createWebRuntime().load(reference.model, { threads: 0 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});

describe('full model', () => {
  it('runs full.onnx and agrees with the final exit on its predictions', async () => {
    const full = await webRuntime.loadFullModel(reference.model, { device: 'wasm' });
    const staged = await webRuntime.load(reference.model, { device: 'wasm' });
    const logits = await full.run(reference.inputs);
    expect(logits.shape).toEqual([8, 10]);
    let carried: TensorMap = { image: reference.inputs };
    let last = logits;
    for (let stage = 0; stage < staged.stages; stage++) {
      const output = await staged.runStage(stage, carried);
      last = output.logits;
      // A later stage may read a tensor an earlier one made (multi-scale CNNs do): keep them all.
      carried = { ...carried, ...output.tensors };
    }
    const argmax = (data: Float32Array, row: number) => {
      const slice = Array.from(data.subarray(row * 10, row * 10 + 10));
      return slice.indexOf(Math.max(...slice));
    };
    for (let row = 0; row < 8; row++) expect(argmax(logits.data, row)).toBe(argmax(last.data, row));
    await full.dispose();
    await staged.dispose();
    await expect(full.run(reference.inputs)).rejects.toThrow(/disposed/);
  });

  it('is a clear error when the package ships no full model', async () => {
    const { full: _full, ...manifest } = reference.model.manifest;
    const withoutFull = { ...reference.model, manifest };
    await expect(webRuntime.loadFullModel(withoutFull)).rejects.toBeInstanceOf(InvalidManifestError);
  });
});
