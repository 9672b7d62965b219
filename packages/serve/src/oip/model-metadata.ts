import type { ViolationResponseStatus } from '../feedback/violation-response.js';
import type { ServedModelInfo } from '../models/served-model-info.js';
import type { ServingPolicy } from '../models/serving-policy.js';
import { oipOfDtype } from './datatypes.js';
import { defaultOutputs, type RequestLimits } from './infer-request.js';
import type { OipMetadataTensor, OipModelMetadata } from './oip-types.js';

/**
 * `GET /v2/models/{name}`: inputs as clients send them (the raw datatype when the server
 * preprocesses, with the preprocessed one accepted too, named in the input's parameters),
 * the outputs a response can carry, what a request may change, and how the server keeps its
 * promise now (`serving_mode`, where the δ came from, whether the target is out of reach).
 */
export function modelMetadata(
  model: ServedModelInfo,
  serving: ServingPolicy,
  limits: RequestLimits,
  guard?: Pick<ViolationResponseStatus, 'mode' | 'unreachable'>,
): OipModelMetadata {
  const inputs = model.inputs.map(
    (input): OipMetadataTensor => ({
      name: input.name,
      datatype: oipOfDtype(input.rawDtype ?? input.dtype),
      shape: input.shape,
      parameters: {
        accepted_datatypes: [input.rawDtype, input.dtype]
          .filter((dtype) => dtype !== undefined)
          .map(oipOfDtype)
          .join(','),
        ...(input.rawDtype ? { preprocessed_datatype: oipOfDtype(input.dtype) } : {}),
      },
    }),
  );
  const outputs: OipMetadataTensor[] = [
    { name: 'prediction', datatype: 'INT64', shape: [-1] },
    { name: 'exit', datatype: 'INT32', shape: [-1] },
    { name: 'confidence', datatype: 'FP32', shape: [-1] },
    { name: 'estimated_accuracy', datatype: 'FP32', shape: [-1] },
    { name: 'abstained', datatype: 'BOOL', shape: [-1] },
    { name: 'logits', datatype: 'FP32', shape: [-1, model.classes.length] },
  ];
  return {
    name: model.name,
    versions: [model.version],
    platform: model.baseline ? 'onnxruntime_onnx' : 'pcee_early_exit',
    inputs,
    outputs,
    parameters: {
      exits: model.exits,
      classes: model.classes,
      baseline: model.baseline,
      policy: serving.policy,
      delta: serving.delta,
      ...(serving.exitDeltas ? { exit_deltas: serving.exitDeltas } : {}),
      abstain: serving.abstain,
      allowed_policies: limits.policies,
      delta_range: limits.deltaRange,
      max_request_samples: limits.maxSamples,
      default_outputs: defaultOutputs(serving.abstain),
      delta_source: serving.source,
      ...(guard ? { serving_mode: guard.mode, target_unreachable: guard.unreachable } : {}),
      ...predictedParameters(model),
    },
  };
}

/**
 * The batch cost model's predicted speedup over `full.onnx` at the default policy, per batch
 * size entering stage 0 (`predicted_speedup_batch_<b>`), when the profile has one.
 */
function predictedParameters(model: ServedModelInfo): Record<string, number> {
  return Object.fromEntries(
    (model.predicted ?? []).map(({ batch, speedup }) => [`predicted_speedup_batch_${batch}`, speedup]),
  );
}
