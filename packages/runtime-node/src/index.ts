/**
 * `@pcee/runtime-node`: the PCEE runtime adapter for onnxruntime-node (devices `cpu`,
 * `cuda`, `webgpu`), model packages from folders, and the `full.onnx` baseline.
 *
 * @packageDocumentation
 */
export { NODE_DEVICES, type NodeDevice } from './device-probe.js';
export { type FullModel, loadFullModel } from './full-model.js';
export { openModelPackage } from './model-package.js';
export { createNodeRuntime, NODE_RUNTIME_NAME, nodeCapabilities, nodeRuntime } from './node-runtime.js';
export { createCpuSession, ortProbeRunner, runSession } from './ort-session.js';
export { nodeRuntimeVersion } from './runtime-version.js';
