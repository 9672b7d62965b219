import {
  type FullModel,
  fullModelSpec,
  type LoadOptions,
  type ModelPackage,
  type OnnxBackend,
  OnnxFullModel,
  OnnxStagedModel,
  type Runtime,
  type RuntimeCapabilities,
  type StagedModel,
  selectDevice,
} from '@pcee/core';
import type { InferenceSession } from 'onnxruntime-web';
import { probeDevice } from './device-probe.js';
import { createSession, runSession } from './onnx-session.js';
import { configureEnvironment, type WasmPaths } from './ort-environment.js';
import type { OrtFlavour, OrtWeb, WebDevice } from './ort-flavour.js';
import { loadOrt } from './ort-loader.js';
import { sessionOptions } from './session-options.js';

/** Runtime name reported in capabilities and messages. */
export const WEB_RUNTIME_NAME = 'onnxruntime-web';

/** Options of `createWebRuntime`. */
export interface WebRuntimeOptions {
  /**
   * Where onnxruntime-web fetches its `ort-wasm-simd-threaded*.wasm` / `.mjs` files: a URL
   * prefix ending in `/` (e.g. `"/ort/"` or a CDN folder), or explicit `{ mjs, wasm }` URLs.
   * Default: next to onnxruntime-web's own script, which after bundling is usually wrong:
   * copy `node_modules/onnxruntime-web/dist/*.{wasm,mjs}` to your site and point here.
   * Applied before the first session; onnxruntime-web ignores later changes.
   */
  readonly wasmPaths?: WasmPaths;
}

/** The onnxruntime-web runtime, plus the single-exit baseline loader. */
export interface WebRuntime extends Runtime {
  /**
   * Loads a package's `full.onnx` (backbone + final head, no intermediate heads) with the
   * same device and options a staged load would use: the baseline early exit is measured against.
   *
   * @throws InvalidManifestError when the package ships no full model or its file fails its check.
   */
  loadFullModel(modelPackage: ModelPackage, options?: LoadOptions): Promise<FullModel>;
}

export type { FullModel };

/**
 * The PCEE runtime on one onnxruntime-web flavour. Devices are detected on the first
 * `capabilities()`/`load()` (WebGPU: `navigator.gpu` and an adapter), never at import.
 * A requested device that is missing is a `DeviceUnavailableError` naming the available
 * ones; a fallback happens only when `device` is a list, e.g. `['webgpu', 'wasm']`.
 */
export function createRuntimeForFlavour(
  flavour: OrtFlavour,
  runtimeOptions: WebRuntimeOptions = {},
): WebRuntime {
  const capabilities = async (): Promise<RuntimeCapabilities> => {
    const ort = await loadOrt(flavour);
    const devices = await Promise.all(flavour.devices.map((device) => probeDevice(flavour, device)));
    return { runtime: WEB_RUNTIME_NAME, version: ort.env.versions.web ?? ort.env.versions.common, devices };
  };

  /** The module, the chosen device and its session options, with `env.wasm` configured. */
  const prepare = async (
    options: LoadOptions,
  ): Promise<{ ort: OrtWeb; device: WebDevice; session: InferenceSession.SessionOptions }> => {
    const device = selectDevice(await capabilities(), options.device) as WebDevice;
    const session = sessionOptions(device, options);
    const ort = await loadOrt(flavour);
    configureEnvironment(ort, { wasmPaths: runtimeOptions.wasmPaths, threads: options.threads });
    return { ort, device, session };
  };

  return {
    name: WEB_RUNTIME_NAME,
    capabilities,
    async load(modelPackage, options = {}): Promise<StagedModel> {
      const { ort, device, session } = await prepare(options);
      const sessions: InferenceSession[] = [];
      try {
        for (const stage of modelPackage.manifest.stages) {
          sessions.push(await createSession(ort, modelPackage, stage.file, device, session));
        }
        return new OnnxStagedModel(modelPackage.manifest, device, sessions, webBackend(ort));
      } catch (error) {
        await Promise.allSettled(sessions.map((created) => created.release()));
        throw error;
      }
    },
    async loadFullModel(modelPackage, options = {}): Promise<FullModel> {
      const spec = fullModelSpec(modelPackage.manifest);
      const { ort, device, session: settings } = await prepare(options);
      const session = await createSession(ort, modelPackage, spec.file, device, settings);
      return new OnnxFullModel(modelPackage.manifest, device, session, webBackend(ort));
    },
  };
}

/** How core's session-backed models drive onnxruntime-web (runs go through the module's queue). */
function webBackend(ort: OrtWeb): OnnxBackend<InferenceSession> {
  return {
    createTensor: (tensor) => new ort.Tensor(tensor.dtype, tensor.data, [...tensor.shape]),
    run: (session, feeds, what) => runSession(ort, session, feeds as InferenceSession.FeedsType, what),
  };
}
