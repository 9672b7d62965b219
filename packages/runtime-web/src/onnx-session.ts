import { type ModelPackage, onnxErrorGist, RuntimeFailureError } from '@pcee/core';
import type { InferenceSession } from 'onnxruntime-web';
import type { OrtWeb, WebDevice } from './ort-flavour.js';
import { queueFor } from './run-queue.js';

/**
 * Reads one ONNX file of a package (the package checks its sha256) and creates a session.
 * onnxruntime's failure (a corrupt file, wasm files not found, an operator the device lacks)
 * becomes a `RuntimeFailureError` naming the file, the model and the device.
 */
export async function createSession(
  ort: OrtWeb,
  modelPackage: ModelPackage,
  file: string,
  device: WebDevice,
  options: InferenceSession.SessionOptions,
): Promise<InferenceSession> {
  const bytes = await modelPackage.readFile(file);
  try {
    // Session creation enters the WebAssembly module too, so it waits its turn like runs.
    return await queueFor(ort).run(() => ort.InferenceSession.create(bytes, options));
  } catch (error) {
    throw new RuntimeFailureError(
      `onnxruntime-web cannot load ${file} of model "${modelPackage.manifest.id}" (${modelPackage.location}) on ${device}: ${onnxErrorGist(error)}${wasmHint(error)}`,
      { cause: error },
    );
  }
}

/** Runs a session in its module's queue, turning onnxruntime's failure into a `RuntimeFailureError`. */
export async function runSession(
  ort: OrtWeb,
  session: InferenceSession,
  feeds: InferenceSession.FeedsType,
  what: string,
): Promise<InferenceSession.ReturnType> {
  try {
    return await queueFor(ort).run(() => session.run(feeds));
  } catch (error) {
    throw new RuntimeFailureError(`onnxruntime-web failed running ${what}: ${onnxErrorGist(error)}`, {
      cause: error,
    });
  }
}

/** The usual cause of a failed first session in a page: the .wasm files are not served where ort looks. */
function wasmHint(error: unknown): string {
  const message = String((error as Error)?.message ?? error);
  return /fetch|\.wasm|\.mjs|import|magic word|MIME/i.test(message)
    ? '; serve onnxruntime-web/dist/*.wasm and *.mjs and point wasmPaths at them (see the README)'
    : '; re-export the model or restore the file';
}
