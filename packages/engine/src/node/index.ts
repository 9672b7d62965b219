/**
 * `@pcee/engine/node`: the engine's Node-only parts (they read the host through `node:os`).
 *
 * @packageDocumentation
 */

export {
  type DescribedStage,
  describeModelPackage,
  type FileCheck,
  type ModelPackageDescription,
} from './describe-model-package.js';
export { hostCpuModel } from './host-cpu.js';
export { readOnnxModel } from './onnx-model-file.js';
