import { BadRequestError } from '../errors/serve-error.js';
import { type RawInputs, rawContentsInputs } from '../oip/raw-inputs.js';
import type { GrpcInferParameter, GrpcInferRequest, GrpcTensorContents } from './grpc-messages.js';

/** The `InferTensorContents` field each datatype's values travel in. */
const CONTENTS_FIELD: Readonly<Record<string, keyof GrpcTensorContents>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

/**
 * A gRPC `ModelInferRequest` in the OIP JSON shape `parseInferRequest` validates, with its
 * `raw_input_contents` as the raw inputs: the conversion only moves fields, every check is the
 * REST API's. Typed `contents` become `data`; parameters become plain values (δ may come as a
 * numeric `string_param` for clients built from KServe's proto, which has no `double_param`).
 */
export function grpcInferBody(message: GrpcInferRequest): { body: Record<string, unknown>; raw: RawInputs } {
  const raw = message.raw_input_contents ?? [];
  const inputs = (message.inputs ?? []).map((input) => {
    const data = contentsData(input.name, input.datatype, input.contents);
    if (data === undefined && raw.length === 0) {
      throw new BadRequestError(
        `input "${input.name}" has no contents and the request has no raw_input_contents; send its values in raw_input_contents (or contents.${CONTENTS_FIELD[input.datatype] ?? 'fp32_contents'})`,
      );
    }
    return {
      name: input.name,
      shape: input.shape,
      datatype: input.datatype,
      ...optionalParameters(input.parameters),
      ...(data === undefined ? {} : { data }),
    };
  });
  const outputs = (message.outputs ?? []).map((output) => ({
    name: output.name,
    ...optionalParameters(output.parameters),
  }));
  const parameters = plainParameters(message.parameters ?? {});
  if (typeof parameters.delta === 'string' && /^\s*[0-9.eE+-]+\s*$/.test(parameters.delta)) {
    parameters.delta = Number(parameters.delta);
  }
  const body: Record<string, unknown> = {
    ...(message.id ? { id: message.id } : {}),
    ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
    inputs,
    ...(outputs.length > 0 ? { outputs } : {}),
  };
  return { body, raw: rawContentsInputs(raw) };
}

/** A parameter map as plain values, or nothing when it is empty. */
function optionalParameters(map: Readonly<Record<string, GrpcInferParameter>> | undefined): {
  parameters?: Record<string, unknown>;
} {
  const parameters = plainParameters(map ?? {});
  return Object.keys(parameters).length > 0 ? { parameters } : {};
}

function plainParameters(map: Readonly<Record<string, GrpcInferParameter>>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, parameter] of Object.entries(map)) {
    const choice = parameter.parameter_choice;
    if (choice === undefined) {
      throw new BadRequestError(
        `parameter "${key.slice(0, 40)}" has no value; set one of bool_param, int64_param, double_param or string_param`,
      );
    }
    result[key] = parameter[choice];
  }
  return result;
}

/** The values of the datatype's `contents` field, or undefined when no field holds values. */
function contentsData(
  name: string,
  datatype: string,
  contents: GrpcTensorContents | null,
): readonly unknown[] | undefined {
  if (!contents) return undefined;
  const filled = (Object.keys(contents) as (keyof GrpcTensorContents)[]).filter(
    (field) => (contents[field]?.length ?? 0) > 0,
  );
  if (filled.length === 0) return undefined;
  const expected = CONTENTS_FIELD[datatype];
  if (expected === undefined) return contents[filled[0]!];
  if (filled.length > 1 || filled[0] !== expected) {
    throw new BadRequestError(
      `input "${name}" is ${datatype} but its contents are in ${filled.join(', ')}; send ${datatype} values in contents.${expected} or raw_input_contents`,
    );
  }
  return contents[expected];
}
