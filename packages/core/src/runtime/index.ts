/** The runtime adapter spec, device selection and the onnx session code both runtimes share. */
export { selectDevice } from './device-selection.js';
export { bindFeeds, outputLogits, outputTensor } from './onnx-bindings.js';
export { type FullModel, fullModelSpec, OnnxFullModel } from './onnx-full-model.js';
export {
  checkStageInput,
  type OnnxInputMetadata,
  type OnnxOutput,
  type OnnxSession,
  onnxErrorGist,
} from './onnx-session.js';
export { type OnnxBackend, OnnxStagedModel } from './onnx-staged-model.js';
export type {
  DeviceInfo,
  DeviceName,
  LoadOptions,
  ModelPackage,
  Runtime,
  RuntimeCapabilities,
  StagedModel,
  StageOutput,
} from './runtime-spec.js';
