/**
 * `@pcee/onnx/testing`: small ONNX graphs built in code, for tests of anything that splits or
 * runs multi-exit models (the splitter here, runtimes and their conformance cases elsewhere):
 * a skip connection across an exit, two feature maps at two scales, a BERT-style classifier
 * with int64 inputs, hidden states carried sequence-first, and graphs each error case needs.
 * Every model has exits `exit_0`, `exit_1`, … with `CLASSES` classes and a dynamic batch.
 *
 * @packageDocumentation
 */

export {
  FIXTURE_FEATURES,
  FIXTURE_PACKAGES,
  FIXTURE_PACKAGES_FOLDER,
  type FixturePackage,
} from './fixture-packages.js';
export { type AttributeValue, floatTensor, GraphBuilder, int64Tensor } from './graph-builder.js';
export {
  bertLike,
  CLASSES,
  controlFlow,
  flattenedAcrossExit,
  mlpChain,
  multiScale,
  sequenceFirst,
  sharedWeight,
  skipAcrossExit,
} from './test-models.js';
