/**
 * `@pcee/serve`: an early-exit inference server on the Open Inference Protocol v2 (REST with
 * the binary tensor extension, and gRPC):
 * per-stage dynamic batching (samples that continue from different requests share the next
 * stage's batch), bounded queues, Prometheus metrics, a calibration drift monitor, label
 * feedback with live reliability diagrams, audit sampling, and an anytime-valid accuracy
 * monitor whose violations switch the model to a safe mode and recalibrate it.
 *
 * @packageDocumentation
 */
export {
  DriftMonitor,
  type DriftOptions,
  type DriftSignal,
  type DriftSnapshot,
} from './drift/drift-monitor.js';
export { type DriftReference, driftReference } from './drift/drift-reference.js';
export { populationStabilityIndex } from './drift/population-stability.js';
export {
  BadRequestError,
  ConflictError,
  InternalServeError,
  NotFoundError,
  OverloadedError,
  PayloadTooLargeError,
  ServeError,
  type ServeErrorHint,
  type ServeErrorReason,
  UnavailableError,
} from './errors/serve-error.js';
export { ServeSettingError } from './errors/serve-setting-error.js';
export {
  recalibrateOnWindow,
  type WindowRecalibration,
  type WindowRecalibrationOptions,
} from './feedback/recalibrate-on-window.js';
export {
  type ServingMode,
  VIOLATION_ACTIONS,
  type ViolationAction,
  ViolationResponse,
  type ViolationResponseStatus,
} from './feedback/violation-response.js';
export { type GrpcServeOptions, type RunningGrpcServer, startGrpcServer } from './grpc/grpc-server.js';
export {
  loadOipGrpcService,
  OIP_GRPC_LOADER_OPTIONS,
  oipGrpcProtoPath,
} from './grpc/oip-grpc-package.js';
export { HttpError } from './http/http-errors.js';
export { HTTP_STATUS_OF_REASON } from './http/http-status.js';
export { createServeApp, type ServeAppOptions } from './http/serve-app.js';
export { ServeMetrics } from './metrics/serve-metrics.js';
export { loadServedModel, type ModelServeSettings, type ModelSource } from './models/load-served-model.js';
export { pairProfiles } from './models/pair-profiles.js';
export { type ProfileFile, readProfileFile } from './models/profile-file.js';
export { type InferOutcome, ServedModel, type ServedModelGuard } from './models/served-model.js';
export type { ServedInputSpec, ServedModelInfo } from './models/served-model-info.js';
export {
  compileServing,
  resolveServingPolicy,
  type ServingOptions,
  type ServingPolicy,
} from './models/serving-policy.js';
export { type AnsweredRequest, answerInferRequest } from './oip/answer-infer-request.js';
export { type SplitBody, splitBinaryBody } from './oip/binary-body.js';
export {
  defaultOutputs,
  type InferRequest,
  isBinaryOutput,
  OUTPUT_NAMES,
  type OutputName,
  parseInferRequest,
  type RequestLimits,
  type ServePolicyName,
} from './oip/infer-request.js';
export type { InferAnswer, InferAnswerOutput } from './oip/infer-response.js';
export type { OipInferResponse, OipModelMetadata } from './oip/oip-types.js';
export { binarySectionInputs, NO_RAW_INPUTS, type RawInputs, rawContentsInputs } from './oip/raw-inputs.js';
export { encodeTensorBytes, readTensorBytes } from './oip/tensor-bytes.js';
export type { ScheduledResult } from './scheduler/pending-request.js';
export type { StagePipeline } from './scheduler/stage-pipeline.js';
export { type BatchingMode, type SchedulerOptions, StageScheduler } from './scheduler/stage-scheduler.js';
export { type RunningServer, SERVE_DEFAULTS, type ServeOptions, startServer } from './serve-server.js';
export {
  DECODE_IN_WORKER_FROM_JSON_BYTES,
  DECODE_IN_WORKER_FROM_RAW_BYTES,
  ENCODE_IN_WORKER_FROM_VALUES,
  ProtocolWorkers,
  type ProtocolWorkersOptions,
} from './workers/protocol-workers.js';
export { defaultProtocolWorkers, planThreads, type ThreadPlan } from './workers/thread-plan.js';
