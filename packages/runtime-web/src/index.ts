/**
 * `@pcee/runtime-web`: the PCEE runtime adapter for onnxruntime-web, devices `webgpu` and
 * `wasm`, in browsers and (wasm only) in Node. This entry uses the default onnxruntime-web
 * build (every execution provider); import `@pcee/runtime-web/webgpu` or `/wasm` to bundle
 * only one flavour.
 *
 * @packageDocumentation
 */
import type { OrtFlavour, OrtWeb } from './ort-flavour.js';
import { createRuntimeForFlavour, type WebRuntime, type WebRuntimeOptions } from './web-runtime.js';

export * from './shared-exports.js';

const flavour: OrtFlavour = {
  module: 'onnxruntime-web',
  // wasm first: it runs everywhere, so a load without `device` works in Node and in every
  // browser; ask for 'webgpu' (or ['webgpu', 'wasm']) to use the GPU.
  devices: ['wasm', 'webgpu'],
  importModule: () => import('onnxruntime-web') as Promise<OrtWeb>,
};

/**
 * A runtime on the default onnxruntime-web build. Devices: `wasm` (default) and `webgpu`.
 * @param options where the wasm files are served (`wasmPaths`).
 */
export function createWebRuntime(options: WebRuntimeOptions = {}): WebRuntime {
  return createRuntimeForFlavour(flavour, options);
}

/** The shared runtime on the default build, with onnxruntime-web's default wasm location. */
export const webRuntime: WebRuntime = createWebRuntime();
