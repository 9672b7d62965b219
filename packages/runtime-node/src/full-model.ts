import {
  checkStageInput,
  InvalidManifestError,
  type LoadOptions,
  type ModelPackage,
  RuntimeFailureError,
  type StageTensor,
} from '@pcee/core';
import type { NodeDevice } from './device-probe.js';
import { resolveDevice } from './node-runtime.js';
import { createSession, runSession } from './onnx-session.js';
import { loadOrt } from './onnxruntime-loader.js';

/** The single-exit baseline (`full.onnx`: backbone + final head only) in one onnxruntime session. */
export interface FullModel {
  /** The device in use (after any fallback). */
  readonly device: NodeDevice;
  /**
   * Logits `[N, classes]` (float32) for a preprocessed batch `[N, …]`.
   * @throws InvalidInputError for data that is not float32 or dims the model does not take.
   */
  run(input: StageTensor): Promise<StageTensor>;
  /** Releases the session; later runs reject. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Loads a package's `full.onnx` through plain onnxruntime-node with the same device,
 * threads and optimisation level a staged load would use: the baseline early exit is
 * measured against.
 *
 * @throws InvalidManifestError when the package ships no full model, or its file is
 *   missing or fails its sha256 check.
 */
export async function loadFullModel(
  modelPackage: ModelPackage,
  options: LoadOptions = {},
): Promise<FullModel> {
  const { manifest } = modelPackage;
  const spec = manifest.full;
  if (!spec) {
    throw new InvalidManifestError(
      `model "${manifest.id}" ships no full model ("full" in model.json); export full.onnx to compare against it`,
    );
  }
  const ort = await loadOrt();
  const { device, session: sessionSettings } = await resolveDevice(options);
  const session = await createSession(ort, modelPackage, spec.file, device, sessionSettings);
  const what = `${spec.file} of model "${manifest.id}"`;
  let disposed = false;
  return {
    device,
    async run(input) {
      if (disposed) throw new RuntimeFailureError(`${what} was disposed; load it again to run it`);
      checkStageInput(input, session.inputMetadata[session.inputNames.indexOf(spec.input)], what);
      const outputs = await runSession(
        session,
        { [spec.input]: new ort.Tensor('float32', input.data, [...input.dims]) },
        what,
      );
      const logits = outputs[spec.output];
      if (!logits) throw new InvalidManifestError(`${what} has no output "${spec.output}"; fix model.json`);
      return { data: logits.data as Float32Array, dims: logits.dims };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
