import {
  type FullModel,
  fullModelSpec,
  type LoadOptions,
  type ModelPackage,
  OnnxFullModel,
} from '@pcee/core';
import { nodeBackend, resolveDevice } from './node-runtime.js';
import { createSession } from './onnx-session.js';
import { loadOrt } from './onnxruntime-loader.js';

export type { FullModel };

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
  const spec = fullModelSpec(modelPackage.manifest);
  const ort = await loadOrt();
  const { device, session: sessionSettings } = await resolveDevice(options);
  const session = await createSession(ort, modelPackage, spec.file, device, sessionSettings);
  return new OnnxFullModel(modelPackage.manifest, device, session, nodeBackend(ort));
}
