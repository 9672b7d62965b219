import { type ModelPackage, onnxErrorGist, RuntimeFailureError } from '@pcee/core';
import type { InferenceSession } from 'onnxruntime-node';
import type { NodeDevice } from './device-probe.js';
import type { Ort } from './onnxruntime-loader.js';

/**
 * Reads one ONNX file of a package (the package checks its sha256) and creates a session.
 * onnxruntime's own failure (a corrupt or foreign file, an operator the device lacks) becomes
 * a `RuntimeFailureError` naming the file, the model and the device.
 */
export async function createSession(
  ort: Ort,
  modelPackage: ModelPackage,
  file: string,
  device: NodeDevice,
  options: InferenceSession.SessionOptions,
): Promise<InferenceSession> {
  const bytes = await modelPackage.readFile(file);
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (error) {
    throw new RuntimeFailureError(
      `onnxruntime cannot load ${file} of model "${modelPackage.manifest.id}" (${modelPackage.location}) on ${device}: ${onnxErrorGist(error)}; re-export the model or restore the file`,
      { cause: error },
    );
  }
}

/** Runs a session, turning onnxruntime's failure into a `RuntimeFailureError` about `what`. */
export async function runSession(
  session: InferenceSession,
  feeds: InferenceSession.FeedsType,
  what: string,
): Promise<InferenceSession.ReturnType> {
  try {
    return await session.run(feeds);
  } catch (error) {
    throw new RuntimeFailureError(`onnxruntime failed running ${what}: ${onnxErrorGist(error)}`, {
      cause: error,
    });
  }
}
