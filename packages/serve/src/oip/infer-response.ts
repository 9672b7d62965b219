import type { InferOutcome } from '../models/served-model.js';
import type { ServedModelInfo } from '../models/served-model-info.js';
import type { OipDatatype } from './datatypes.js';
import type { OutputName } from './infer-request.js';
import type { OipInferResponse, OipParameters, OipResponseOutput } from './oip-types.js';

/** One output of an answer, before a transport encodes it. */
export interface InferAnswerOutput {
  readonly name: OutputName;
  readonly datatype: OipDatatype;
  readonly shape: readonly number[];
  /** Row-major values: integral for INT*, 0/1 for BOOL. */
  readonly values: ArrayLike<number>;
}

/** The answer to one request, independent of the transport (JSON, binary REST, gRPC). */
export interface InferAnswer {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters: OipParameters;
  readonly outputs: readonly InferAnswerOutput[];
}

/**
 * The answer to one request: the asked outputs in a fixed order, each `[n]` (logits
 * `[n, classes]`); `estimated_accuracy` is −1 where the sample's calibration bin was empty
 * (JSON has no NaN, and every transport answers alike); `abstained` is BOOL. Response
 * `parameters` say which policy and δ (and per-exit δ, as a comma list) decided, whether
 * abstention was on, the mean cost of the exits taken relative to the full model, and
 * `serving_mode` when the model answers in a safe mode after an accuracy violation
 * (`final-exit` or `abstain`).
 */
export function buildInferAnswer(
  model: ServedModelInfo,
  id: string,
  outputs: readonly OutputName[],
  outcome: InferOutcome,
): InferAnswer {
  const { result } = outcome;
  const samples = result.exit.length;
  const build = (name: OutputName): InferAnswerOutput => {
    switch (name) {
      case 'prediction':
        return { name, datatype: 'INT64', shape: [samples], values: result.prediction };
      case 'exit':
        return { name, datatype: 'INT32', shape: [samples], values: result.exit };
      case 'confidence':
        return { name, datatype: 'FP32', shape: [samples], values: result.confidence };
      case 'estimated_accuracy':
        return {
          name,
          datatype: 'FP32',
          shape: [samples],
          values: result.estimatedAccuracy.map((value) => (Number.isNaN(value) ? -1 : value)),
        };
      case 'abstained':
        return { name, datatype: 'BOOL', shape: [samples], values: result.abstained };
      case 'logits':
        return {
          name,
          datatype: 'FP32',
          shape: [samples, model.classes.length],
          values: result.logits ?? new Float32Array(0),
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

/** An output's values as JSON `data`: numbers, or booleans for BOOL. */
export function jsonOutputData(output: InferAnswerOutput): (number | boolean)[] {
  return output.datatype === 'BOOL'
    ? Array.from(output.values, (flag) => flag === 1)
    : Array.from(output.values);
}

/** The OIP JSON response for one request (every output as JSON `data`). */
export function buildInferResponse(
  model: ServedModelInfo,
  id: string,
  outputs: readonly OutputName[],
  outcome: InferOutcome,
): OipInferResponse {
  const answer = buildInferAnswer(model, id, outputs, outcome);
  return {
    ...answer,
    outputs: answer.outputs.map(
      (output): OipResponseOutput => ({
        name: output.name,
        datatype: output.datatype,
        shape: output.shape,
        data: jsonOutputData(output),
      }),
    ),
  };
}
