/**
 * @pcee/attach — turn a pretrained classifier without exits into a multi-exit model: find the
 * graph's cut points, extract pooled features on onnxruntime-node, train exit heads on them
 * (L-BFGS with onnxruntime doing the matrix work) and graft the heads as ONNX nodes. The
 * result passes `pcee split` unchanged.
 *
 * @packageDocumentation
 */

// The onnxruntime session helpers live in @pcee/runtime-node now; re-exported for existing callers.
export { createCpuSession, ortProbeRunner, runSession } from '@pcee/runtime-node';
export { type AttachedExit, type AttachOptions, type AttachResult, attachExits } from './attach-exits.js';
export { type ExtractFeaturesOptions, extractFeatures } from './extract-features.js';
export { type HeadKind, headGradientModel, headParameterShapes } from './head-gradient-model.js';
export {
  checkLabels,
  MIN_SAMPLES_PER_CLASS,
  type ValidationSplit,
  validationSplit,
} from './labels.js';
export { type LbfgsOptions, type LbfgsResult, minimizeLbfgs, type Objective } from './lbfgs.js';
export { accuracy, type TrainedHead, type TrainHeadOptions, trainHead } from './train-head.js';
