import { grpcInferResponse } from '../grpc/grpc-response.js';
import type { ServedModelInfo } from '../models/served-model-info.js';
import type { RequestLimits } from '../oip/infer-request.js';
import type { InferAnswer } from '../oip/infer-response.js';
import { encodeRestResponse } from '../oip/rest-response.js';
import { type DecodedRequest, decodeGrpcMessage, decodeRestBody } from './protocol-decode.js';

/** What the server asks a protocol worker to do. */
export type ProtocolTask =
  | {
      readonly kind: 'decode-rest';
      readonly model: string;
      readonly body: Uint8Array;
      readonly headerLength?: string | string[];
    }
  | { readonly kind: 'decode-grpc'; readonly message: Uint8Array }
  | { readonly kind: 'encode-rest'; readonly answer: InferAnswer; readonly binary: readonly string[] }
  | { readonly kind: 'encode-grpc'; readonly answer: InferAnswer };

/** A REST response body as bytes: JSON, or a JSON header followed by the binary section. */
export type EncodedRestBody =
  | { readonly kind: 'json'; readonly body: Uint8Array }
  | { readonly kind: 'binary'; readonly headerLength: number; readonly body: Uint8Array };

/** What a task returns. */
export type ProtocolResult =
  | DecodedRequest
  | EncodedRestBody
  | { readonly kind: 'grpc'; readonly body: Uint8Array };

/** What every protocol worker is started with (`workerData`): plain data, structured-cloned. */
export interface ProtocolWorkerData {
  readonly models: readonly ServedModelInfo[];
  readonly limits: RequestLimits;
}

/** The state a protocol worker (or the inline path) decodes and encodes with. */
export interface ProtocolContext {
  readonly models: ReadonlyMap<string, ServedModelInfo>;
  readonly limits: RequestLimits;
  /** `ModelInfer`'s protobuf request deserializer and response serializer. */
  readonly grpc: {
    readonly deserialize: (bytes: Buffer) => unknown;
    readonly serialize: (message: unknown) => Buffer;
  };
}

/** Runs one task; a task never throws, its failures are part of `DecodedRequest`. */
export function runProtocolTask(context: ProtocolContext, task: ProtocolTask): ProtocolResult {
  switch (task.kind) {
    case 'decode-rest':
      return decodeRestBody(context.models, context.limits, task.model, task.body, task.headerLength);
    case 'decode-grpc':
      return decodeGrpcMessage(context.models, context.limits, task.message, context.grpc.deserialize);
    case 'encode-rest':
      return encodeRestBytes(task.answer, task.binary);
    case 'encode-grpc':
      return { kind: 'grpc', body: context.grpc.serialize(grpcInferResponse(task.answer)) };
  }
}

/** `encodeRestResponse` as bytes (the JSON as fastify would send it: `JSON.stringify`). */
export function encodeRestBytes(answer: InferAnswer, binary: readonly string[]): EncodedRestBody {
  const encoded = encodeRestResponse(answer, (name) => binary.includes(name));
  if (encoded.kind === 'json') return { kind: 'json', body: Buffer.from(JSON.stringify(encoded.json)) };
  return { kind: 'binary', headerLength: encoded.headerLength, body: encoded.body };
}

/**
 * The buffers a result can hand back without copying: its tensors' and bodies' memory when a
 * view covers its whole buffer, or when the buffer is one of `owned` (the request body moved in,
 * which binary tensors are views of). Anything else (a view into Node's shared Buffer pool) is
 * copied by the structured clone instead: moving it would take unrelated bytes along.
 */
export function transferablesOf(
  result: ProtocolResult,
  owned: readonly ArrayBufferLike[] = [],
): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const add = (view: ArrayBufferView) => {
    const { buffer } = view;
    if (!(buffer instanceof ArrayBuffer)) return;
    if (owned.includes(buffer) || (view.byteOffset === 0 && view.byteLength === buffer.byteLength)) {
      buffers.add(buffer);
    }
  };
  if ('step' in result) {
    if (result.step === 'done') {
      for (const tensor of Object.values(result.request.inputs)) add(tensor.data as ArrayBufferView);
    }
  } else add(result.body);
  return [...buffers];
}
