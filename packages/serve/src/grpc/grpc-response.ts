import type { InferAnswer } from '../oip/infer-response.js';
import type { OipParameters } from '../oip/oip-types.js';
import { encodeTensorBytes } from '../oip/tensor-bytes.js';
import type { GrpcInferParameter, GrpcInferResponse } from './grpc-messages.js';

/**
 * A gRPC `ModelInferResponse` for an answer: every output's bytes in `raw_output_contents`
 * (as Triton answers; the same bytes the REST binary extension sends), parameters typed as
 * `bool_param`, `double_param` or `string_param`.
 */
export function grpcInferResponse(answer: InferAnswer): GrpcInferResponse {
  return {
    model_name: answer.model_name,
    model_version: answer.model_version,
    id: answer.id,
    parameters: grpcParameters(answer.parameters),
    outputs: answer.outputs.map((output) => ({
      name: output.name,
      datatype: output.datatype,
      shape: [...output.shape],
    })),
    raw_output_contents: answer.outputs.map((output) => encodeTensorBytes(output.datatype, output.values)),
  };
}

/** Response parameters as `InferParameter`s: every number a double (δ, relative cost). */
export function grpcParameters(parameters: OipParameters): Record<string, GrpcInferParameter> {
  const result: Record<string, GrpcInferParameter> = {};
  for (const [key, value] of Object.entries(parameters)) {
    if (typeof value === 'boolean') result[key] = { bool_param: value };
    else if (typeof value === 'number') result[key] = { double_param: value };
    else result[key] = { string_param: value };
  }
  return result;
}
