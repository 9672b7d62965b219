import { InternalServeError } from '../errors/serve-error.js';
import type { GrpcInferRequest } from '../grpc/grpc-messages.js';
import { grpcInferBody } from '../grpc/grpc-request.js';
import type { ServedModelInfo } from '../models/served-model-info.js';
import { splitBinaryBody } from '../oip/binary-body.js';
import { declaredSamples } from '../oip/declared-samples.js';
import { type InferRequest, parseInferRequest, type RequestLimits } from '../oip/infer-request.js';
import { binarySectionInputs } from '../oip/raw-inputs.js';
import { type SerializedError, serializeError } from './serialized-error.js';

/**
 * A request body decoded and validated, or the step that refused it. The steps are kept apart
 * because the server checks other things between them, in the order it does for a body it
 * decodes itself: the body must parse (REST: split and JSON; gRPC: the protobuf message), then
 * the model must exist, then the request must be admitted (overload, drain), and only then do
 * conversion (gRPC) and validation errors count.
 */
export type DecodedRequest =
  | { readonly step: 'parse'; readonly error: SerializedError }
  | {
      /** The body parsed; the model it names is not served (the caller's lookup says why). */
      readonly step: 'lookup';
      readonly model: string;
      readonly version?: string;
    }
  | {
      readonly step: 'convert' | 'validate';
      readonly model: string;
      readonly version?: string;
      readonly declaredSamples: number;
      readonly error: SerializedError;
    }
  | {
      readonly step: 'done';
      readonly model: string;
      readonly version?: string;
      readonly declaredSamples: number;
      readonly request: InferRequest;
    };

/**
 * Decodes a REST inference body (JSON, or the binary tensor extension) for `model`, as the
 * inline REST path does: `splitBinaryBody`, then `parseInferRequest` over the binary section.
 *
 * @param headerLength the `Inference-Header-Content-Length` header, when sent.
 */
export function decodeRestBody(
  models: ReadonlyMap<string, ServedModelInfo>,
  limits: RequestLimits,
  model: string,
  body: Uint8Array,
  headerLength: string | string[] | undefined,
): DecodedRequest {
  let split: ReturnType<typeof splitBinaryBody>;
  try {
    split = splitBinaryBody(asBuffer(body), headerLength);
  } catch (error) {
    return { step: 'parse', error: serializeError(error) };
  }
  const info = models.get(model);
  if (!info) return { step: 'lookup', model };
  const samples = declaredSamples(split.header);
  try {
    const request = parseInferRequest(split.header, info, limits, binarySectionInputs(split.section));
    return { step: 'done', model, declaredSamples: samples, request };
  } catch (error) {
    return { step: 'validate', model, declaredSamples: samples, error: serializeError(error) };
  }
}

/**
 * Decodes a gRPC `ModelInferRequest` from its wire bytes, as the inline gRPC path does:
 * the protobuf message, `grpcInferBody`, then `parseInferRequest` over `raw_input_contents`.
 *
 * @param deserialize the service's `ModelInfer` request deserializer (`@grpc/proto-loader`).
 */
export function decodeGrpcMessage(
  models: ReadonlyMap<string, ServedModelInfo>,
  limits: RequestLimits,
  bytes: Uint8Array,
  deserialize: (bytes: Buffer) => unknown,
): DecodedRequest {
  let message: GrpcInferRequest;
  try {
    message = deserialize(asBuffer(bytes)) as GrpcInferRequest;
  } catch (error) {
    // What @grpc/grpc-js answers when it cannot deserialize a request itself.
    const failure = new InternalServeError(`Error deserializing request: ${(error as Error).message}`);
    return { step: 'parse', error: serializeError(failure) };
  }
  const model = message.model_name;
  const version = message.model_version || undefined;
  const info = models.get(model);
  if (!info) return { step: 'lookup', model, version };
  let converted: ReturnType<typeof grpcInferBody>;
  try {
    converted = grpcInferBody(message);
  } catch (error) {
    return { step: 'convert', model, version, declaredSamples: 1, error: serializeError(error) };
  }
  const samples = declaredSamples(converted.body);
  try {
    const request = parseInferRequest(converted.body, info, limits, converted.raw);
    return { step: 'done', model, version, declaredSamples: samples, request };
  } catch (error) {
    return { step: 'validate', model, version, declaredSamples: samples, error: serializeError(error) };
  }
}

/** A Buffer over the same bytes (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
