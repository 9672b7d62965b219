import {
  checkStageInput,
  InvalidManifestError,
  type LoadOptions,
  type ModelPackage,
  OnnxStagedModel,
  type Runtime,
  type RuntimeCapabilities,
  RuntimeFailureError,
  type StagedModel,
  type StageTensor,
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

/** The single-exit baseline in one onnxruntime-web session. */
export interface FullModel {
  /** The device in use (after any fallback). */
  readonly device: WebDevice;
  /** Logits `[N, classes]` (float32) for a preprocessed batch `[N, …]`. */
  run(input: StageTensor): Promise<StageTensor>;
  /** Releases the session; later runs reject. Idempotent. */
  dispose(): Promise<void>;
}

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
        return new OnnxStagedModel(modelPackage.manifest, device, sessions, {
          createTensor: (data, dims) => new ort.Tensor('float32', data, [...dims]),
          run: (staged, feeds, what) => runSession(ort, staged, feeds as InferenceSession.FeedsType, what),
        });
      } catch (error) {
        await Promise.allSettled(sessions.map((created) => created.release()));
        throw error;
      }
    },
    async loadFullModel(modelPackage, options = {}): Promise<FullModel> {
      const { manifest } = modelPackage;
      const spec = manifest.full;
      if (!spec) {
        throw new InvalidManifestError(
          `model "${manifest.id}" ships no full model ("full" in model.json); export full.onnx to compare against it`,
        );
      }
      const { ort, device, session: settings } = await prepare(options);
      const session = await createSession(ort, modelPackage, spec.file, device, settings);
      const what = `${spec.file} of model "${manifest.id}" on ${device}`;
      let disposed = false;
      return {
        device,
        async run(input) {
          if (disposed) throw new RuntimeFailureError(`${what} was disposed; load it again to run it`);
          checkStageInput(input, session.inputMetadata[session.inputNames.indexOf(spec.input)], what);
          const feed = new ort.Tensor('float32', input.data, [...input.dims]);
          const outputs = await runSession(ort, session, { [spec.input]: feed }, what);
          const logits = outputs[spec.output];
          if (!logits)
            throw new InvalidManifestError(`${what} has no output "${spec.output}"; fix model.json`);
          return { data: logits.data as Float32Array, dims: logits.dims };
        },
        async dispose() {
          if (disposed) return;
          disposed = true;
          await session.release();
        },
      };
    },
  };
}
