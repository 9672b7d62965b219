/**
 * @pcee/onnx — ONNX graph work for early exit, in platform-free TypeScript (it runs unchanged
 * in Node and browsers): read and write models, split a multi-exit model into stages that
 * carry any set of tensors, prune to one exit, fuse stages back, and count FLOPs and
 * parameters from the graph with real shapes.
 *
 * @packageDocumentation
 */
export { BATCH, batchAxis } from './batch-axis.js';
export { type CutPoint, exitShareTargets, listCutPoints, spreadCutPoints } from './cut-points.js';
export {
  type DescribedCutPoint,
  type DescribedExit,
  describeOnnxModel,
  type OnnxModelDescription,
  type OnnxModelInspection,
} from './describe-model.js';
export {
  type CarriedDtype,
  DTYPE_BYTES,
  dtypeOfElementType,
  elementTypeOfDtype,
  isCarriedDtype,
  isFloatingDtype,
  type OnnxDtype,
} from './dtypes.js';
export { type ExitCandidate, listExitCandidates } from './exit-candidates.js';
export {
  type ExitFeatures,
  type ExitHead,
  featureModel,
  type GraftedExit,
  graftExitHeads,
  type Pooling,
  pooledWidth,
  poolingFor,
} from './exit-heads.js';
export {
  type ExternalDataReference,
  externalDataReferences,
  inlineExternalData,
  moveToExternalData,
} from './external-data.js';
export { countFlops, flopCountingOp, nodeFlops, type ShapeMap, shapeLookup } from './flops.js';
export { type FuseOptions, type FuseStage, fuseStages } from './fuse-stages.js';
export { type FusedModel, fuseModelPackage } from './fused-package.js';
export { ancestorNodes, CONTROL_FLOW_OPS, type GraphIndex, indexGraph, inGraphOrder } from './graph-index.js';
export { type ModelInput, modelInputs } from './model-inputs.js';
export { readModel, writeModel } from './model-io.js';
export { intAttribute } from './node-attributes.js';
// onnx-proto.ts is itself the curated list of the protobuf messages we publish.
export * from './onnx-proto.js';
export { countDistinctParameters, countParameters } from './parameters.js';
export { type PartitionCosts, partitionCosts, type StageCost } from './partition-costs.js';
export {
  type Partition,
  type PartitionOptions,
  type PartitionStage,
  partitionGraph,
} from './partition-graph.js';
export {
  concreteShape,
  type ProbeRun,
  probeSymbolSizes,
  probeTensorTypes,
  withIntermediateOutputs,
} from './probe.js';
export { type ModelProbe, type ProbeOutputs, type ProbeRunner, probeModel } from './probe-model.js';
export { type PrunedModel, pruneToOutput, pruneToOutputs } from './prune.js';
export { indexLimits, randomInputs } from './random-inputs.js';
export { buildSubgraphModel, type SubgraphSpec } from './subgraph-model.js';
export {
  type Dimension,
  declaredTensorTypes,
  elementCount,
  type TensorType,
  type TensorTypes,
  typeOfTensor,
  typeOfValueInfo,
  valueInfo,
} from './tensor-types.js';
