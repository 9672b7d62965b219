/**
 * @pcee/core — Performance Control Early Exiting (arXiv 2412.19325) in platform-free
 * TypeScript: confidence, reliability diagrams, policies, compute accounting, threshold
 * search, formats, and the early-exit runner with its runtime adapter spec.
 *
 * @packageDocumentation
 */
export * from './affine-cost-fit.js';
export * from './batch-cost-model.js';
export * from './binning.js';
export * from './calibration-profile.js';
export * from './compute-cost.js';
export * from './confidence.js';
export * from './decide-batch.js';
export * from './delta-list.js';
export * from './delta-sweep.js';
export * from './device-selection.js';
export * from './early-exit-runner.js';
export * from './errors.js';
export * from './evaluation.js';
export * from './exit-drops.js';
export * from './exit-overheads.js';
export * from './full-model-predictions.js';
export * from './fusion-costs.js';
export * from './fusion-plan.js';
export * from './guarantee/index.js';
export * from './io/index.js';
export * from './isotonic.js';
export * from './measured-costs.js';
export * from './model-manifest.js';
export * from './onnx-bindings.js';
export * from './onnx-full-model.js';
export * from './onnx-session.js';
export * from './onnx-staged-model.js';
export * from './policy.js';
export * from './preprocess.js';
export * from './profile-compatibility.js';
export * from './profile-json.js';
export * from './reliability-diagram.js';
export * from './runtime-spec.js';
export * from './seeded-random.js';
export * from './stage-tensors.js';
export * from './tensor-liveness.js';
export * from './threshold-search.js';
export * from './timing/index.js';
export * from './traces.js';
