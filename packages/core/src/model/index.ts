/** Model packages: the manifest (reading, schemas), stage tensors, input preprocessing, tensor liveness. */

export { carryTensors } from './carry-tensors.js';
export {
  assertDigestMatches,
  MANIFEST_VERSION,
  manifestCosts,
  modelFingerprint,
  parseManifest,
  READABLE_MANIFEST_VERSIONS,
  sha256Hex,
} from './model-manifest.js';
export {
  type Dimension,
  type FullModelSpec,
  MODEL_TENSOR_DTYPES,
  type ModelInputSpec,
  type ModelManifest,
  type ModelTensorDtype,
  type RawInputSpec,
  type StageSpec,
  type TensorBinding,
  type TensorSpec,
} from './model-manifest-types.js';
export { type PreprocessOptions, preprocessInput, preprocessModelInputs } from './preprocess.js';
export { serializeManifest } from './serialize-manifest.js';
export {
  allocateStageData,
  batchSizeOf,
  concatRows,
  type Float32StageTensor,
  gatherRows,
  gatherTensorMap,
  isStageTensor,
  rowSize,
  type StageTensor,
  type StageTensorData,
  sliceRows,
  sliceTensorMap,
  type TensorMap,
} from './stage-tensors.js';
export { tensorLiveness } from './tensor-liveness.js';
