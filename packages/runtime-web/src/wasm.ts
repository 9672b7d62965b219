/**
 * `@pcee/runtime-web/wasm`: the adapter on the `onnxruntime-web/wasm` build (WebAssembly
 * only, the smallest; wasm files `ort-wasm-simd-threaded.*`). Device: `wasm`. In Node this
 * entry resolves to the main one.
 *
 * @packageDocumentation
 */
import type { OrtFlavour, OrtWeb } from './ort-flavour.js';
import { createRuntimeForFlavour, type WebRuntime, type WebRuntimeOptions } from './web-runtime.js';

export * from './shared-exports.js';

const flavour: OrtFlavour = {
  module: 'onnxruntime-web/wasm',
  devices: ['wasm', 'webgpu'],
  missing: { webgpu: '@pcee/runtime-web/webgpu' },
  importModule: () => import('onnxruntime-web/wasm') as Promise<OrtWeb>,
};

/**
 * A runtime on `onnxruntime-web/wasm`. Device: `wasm`; `webgpu` is listed as unavailable
 * (this build lacks it) so errors point at `@pcee/runtime-web/webgpu`.
 * @param options where the wasm files are served (`wasmPaths`).
 */
export function createWebRuntime(options: WebRuntimeOptions = {}): WebRuntime {
  return createRuntimeForFlavour(flavour, options);
}

/** The shared runtime on `onnxruntime-web/wasm`, with onnxruntime-web's default wasm location. */
export const webRuntime: WebRuntime = createWebRuntime();
