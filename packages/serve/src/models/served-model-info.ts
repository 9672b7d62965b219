import type { TensorDtype } from '@pcee/core';
import type { PredictedBatchCost } from './predicted-cost.js';

/** One model input as the protocol shows it: the tensor a client sends, batch first. */
export interface ServedInputSpec {
  /** Input name (the manifest's), which request inputs must carry. */
  readonly name: string;
  /** Element type of the model tensor (taken as already preprocessed). */
  readonly dtype: TensorDtype;
  /**
   * Raw element type the server preprocesses itself per the manifest (e.g. `uint8` pixels),
   * when the manifest gives preprocessing.
   */
  readonly rawDtype?: TensorDtype;
  /** Shape, batch first as -1; symbolic dimensions (a sequence length) are -1 too. */
  readonly shape: readonly number[];
}

/** What the protocol layer knows about a served model, whatever its format version. */
export interface ServedModelInfo {
  /** Model name in URLs: the manifest id. */
  readonly name: string;
  /** Model version in URLs and responses: the first 12 hex digits of the weights' fingerprint. */
  readonly version: string;
  /** Inputs in manifest order. */
  readonly inputs: readonly ServedInputSpec[];
  /** Class names; their count is the logits width. */
  readonly classes: readonly string[];
  /** Number of exits L. */
  readonly exits: number;
  /** True when the server runs `full.onnx` (the `--baseline` mode): every sample takes exit L−1. */
  readonly baseline: boolean;
  /**
   * The speedup over `full.onnx` the profile's batch cost model predicts for the default policy,
   * at batch 1 and at the scheduler's largest batch; absent without a batch cost model,
   * reference traces, or in the baseline mode.
   */
  readonly predicted?: readonly PredictedBatchCost[];
}
