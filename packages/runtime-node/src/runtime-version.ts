import { loadOrt } from './onnxruntime-loader.js';

/**
 * The onnxruntime-node version in use (e.g. `1.30.0`), without probing any device: probing
 * WebGPU costs ~0.5 s and makes Dawn print to stderr, which a version lookup should not.
 */
export async function nodeRuntimeVersion(): Promise<string> {
  const ort = await loadOrt();
  return ort.env.versions.node ?? ort.env.versions.common;
}
