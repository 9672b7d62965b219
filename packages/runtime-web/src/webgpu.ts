/**
 * `@pcee/runtime-web/webgpu`: the adapter on the `onnxruntime-web/webgpu` build (WebGPU and
 * WebAssembly kernels; wasm files `ort-wasm-simd-threaded.asyncify.*`). Devices: `webgpu`
 * (default) and `wasm`. In Node this entry resolves to the main one (wasm only).
 *
 * @packageDocumentation
 */
import type { OrtFlavour, OrtWeb } from './ort-flavour.js';
import { createRuntimeForFlavour, type WebRuntime, type WebRuntimeOptions } from './web-runtime.js';

export * from './shared-exports.js';

const flavour: OrtFlavour = {
  module: 'onnxruntime-web/webgpu',
  devices: ['webgpu', 'wasm'],
  importModule: () => import('onnxruntime-web/webgpu') as Promise<OrtWeb>,
};

/**
 * A runtime on `onnxruntime-web/webgpu`. Devices: `webgpu` (default; an error naming `wasm`
 * where WebGPU is missing) and `wasm`; pass `device: ['webgpu', 'wasm']` to fall back.
 * @param options where the wasm files are served (`wasmPaths`).
 */
export function createWebRuntime(options: WebRuntimeOptions = {}): WebRuntime {
  return createRuntimeForFlavour(flavour, options);
}

/** The shared runtime on `onnxruntime-web/webgpu`, with onnxruntime-web's default wasm location. */
export const webRuntime: WebRuntime = createWebRuntime();
