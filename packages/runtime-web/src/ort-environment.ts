import { InvalidArgumentError } from '@pcee/core';
import type { OrtWeb } from './ort-flavour.js';

/** Where onnxruntime-web finds its `.wasm` (and `.mjs` glue) files. */
export type WasmPaths = string | { readonly mjs?: string | URL; readonly wasm?: string | URL };

/** Environment settings that onnxruntime-web fixes when it starts its WebAssembly module. */
export interface EnvironmentSettings {
  /** See `WebRuntimeOptions.wasmPaths`. */
  readonly wasmPaths?: WasmPaths;
  /** WebAssembly threads (1 = no workers); default onnxruntime-web's choice. */
  readonly threads?: number;
}

const started = new WeakMap<OrtWeb, { wasmPaths?: string; threads?: number }>();

/**
 * Applies settings to `ort.env` before the first session. onnxruntime-web reads `env.wasm`
 * once, when its first session starts the WebAssembly module, and ignores later changes; so
 * a later load asking for other settings is an error instead of being silently ignored.
 */
export function configureEnvironment(ort: OrtWeb, settings: EnvironmentSettings): void {
  const { wasmPaths, threads } = settings;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new InvalidArgumentError(`threads must be a positive integer, got ${threads}`);
  }
  const paths = wasmPaths === undefined ? undefined : JSON.stringify(wasmPaths);
  const applied = started.get(ort);
  if (!applied) {
    if (wasmPaths !== undefined) ort.env.wasm.wasmPaths = wasmPaths;
    if (threads !== undefined) ort.env.wasm.numThreads = threads;
    started.set(ort, { wasmPaths: paths, threads });
    return;
  }
  if (threads !== undefined && applied.threads !== threads) {
    throw new InvalidArgumentError(
      `onnxruntime-web already runs with ${applied.threads ?? 'its default number of'} threads; it fixes the thread count at its first session, so ask for ${threads} threads in the first load (or reload the page)`,
    );
  }
  if (paths !== undefined && applied.wasmPaths !== paths) {
    throw new InvalidArgumentError(
      `onnxruntime-web already loaded its wasm files from ${applied.wasmPaths ?? 'its default location'}; set wasmPaths once, before the first load`,
    );
  }
}
