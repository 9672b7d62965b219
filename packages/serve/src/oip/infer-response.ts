import type { InferOutcome } from '../models/served-model.js';
import type { ServedModelInfo } from '../models/served-model-info.js';
import type { OutputName } from './infer-request.js';
import type { OipInferResponse, OipResponseOutput } from './oip-types.js';

/**
 * The OIP response for one request: the asked outputs in a fixed order, each `[n]` (logits
 * `[n, classes]`); `estimated_accuracy` is −1 where the sample's calibration bin was empty
 * (JSON has no NaN); `abstained` is BOOL. Response `parameters` say which policy and δ (and
 * per-exit δ, as a comma list) decided, whether abstention was on, and the mean cost of the
 * exits taken relative to the full model, and `serving_mode` when the model answers in a
 * safe mode after an accuracy violation (`final-exit` or `abstain`).
 */
export function buildInferResponse(
  model: ServedModelInfo,
  id: string,
  outputs: readonly OutputName[],
  outcome: InferOutcome,
): OipInferResponse {
  const { result } = outcome;
  const samples = result.exit.length;
  const build = (name: OutputName): OipResponseOutput => {
    switch (name) {
      case 'prediction':
        return { name, datatype: 'INT64', shape: [samples], data: Array.from(result.prediction) };
      case 'exit':
        return { name, datatype: 'INT32', shape: [samples], data: Array.from(result.exit) };
      case 'confidence':
        return { name, datatype: 'FP32', shape: [samples], data: Array.from(result.confidence) };
      case 'estimated_accuracy':
        return {
          name,
          datatype: 'FP32',
          shape: [samples],
          data: Array.from(result.estimatedAccuracy, (value) => (Number.isNaN(value) ? -1 : value)),
        };
      case 'abstained':
        return {
          name,
          datatype: 'BOOL',
          shape: [samples],
          data: Array.from(result.abstained, (flag) => flag === 1),
        };
      case 'logits':
        return {
          name,
          datatype: 'FP32',
          shape: [samples, model.classes.length],
          data: Array.from(result.logits ?? []),
        };
    }
  };
  return {
    model_name: model.name,
    model_version: model.version,
    id,
    parameters: {
      policy: model.baseline ? 'none' : outcome.policy,
      delta: outcome.delta,
      ...(outcome.exitDeltas ? { exit_deltas: outcome.exitDeltas.join(',') } : {}),
      abstain: outcome.abstain,
      relative_cost: outcome.relativeCost,
      // Only off the policy (a safe mode after an accuracy violation), so clients can tell.
      ...(outcome.mode === 'policy' ? {} : { serving_mode: outcome.mode }),
    },
    outputs: outputs.map(build),
  };
}
