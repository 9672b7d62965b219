/**
 * `@pcee/models`: the reference multi-exit models of PCEE, shipped as model packages
 * (`model.json` + one ONNX file per stage + `full.onnx` + validation/test traces), and the
 * raw Fashion-MNIST test set they were evaluated on.
 *
 * Node-only: paths are resolved on the file system with `node:path` and `node:url`.
 * The package is data; loading and running the models is the job of a runtime adapter.
 */

export {
  type Corruption,
  type CorruptionKind,
  corruptImages,
  corruptionName,
  SHIFT_CORRUPTIONS,
} from './corruptions.js';
export {
  defaultModelId,
  listModels,
  type ModelInfo,
  modelDir,
  PLAIN_MODELS,
  type PlainModelId,
  plainModelPath,
  testInputsPath,
} from './model-paths.js';
export {
  loadReferenceModel,
  type ReferenceModel,
  referenceImages,
  referenceTraces,
} from './reference-model.js';
