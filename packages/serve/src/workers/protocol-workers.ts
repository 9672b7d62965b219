import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GrpcInferResponse } from '../grpc/grpc-messages.js';
import { grpcInferResponse } from '../grpc/grpc-response.js';
import { loadOipGrpcService } from '../grpc/oip-grpc-package.js';
import type { ServedModelInfo } from '../models/served-model-info.js';
import type { RequestLimits } from '../oip/infer-request.js';
import type { InferAnswer } from '../oip/infer-response.js';
import type { DecodedRequest } from './protocol-decode.js';
import {
  type EncodedRestBody,
  encodeRestBytes,
  type ProtocolContext,
  type ProtocolResult,
  type ProtocolTask,
  type ProtocolWorkerData,
  runProtocolTask,
} from './protocol-task.js';
import { WorkerPool } from './worker-pool.js';

/**
 * JSON text shorter than this (a REST body, or a binary body's JSON header) is decoded on the
 * main thread even with workers. Handing a body to a worker and taking the decoded request back
 * costs the main thread 27–40 µs whatever the size, while parsing JSON costs about 18 µs per KiB
 * (38 µs for one 28×28 image, 2 KiB; 76 µs for four, 8 KiB; 430 µs for 16): from about 4 KiB
 * the worker saves the main thread time (`npm run bench:dispatch -w @pcee/serve`, 2-core machine).
 */
export const DECODE_IN_WORKER_FROM_JSON_BYTES = 4 * 1024;

/**
 * Raw tensor bytes (binary REST sections, gRPC messages) of fewer bytes than this are decoded on
 * the main thread: decoding them is a copy (6 µs for one image, 23 µs for 64 over binary REST;
 * 14–35 µs over gRPC), cheaper than the dispatch at every size measured (up to 50 KiB), so
 * only very large messages go to a worker.
 */
export const DECODE_IN_WORKER_FROM_RAW_BYTES = 256 * 1024;

/**
 * Answers with fewer values than this (all outputs together) are encoded on the main thread:
 * a default answer holds five values per sample, cheaper to encode than to post.
 */
export const ENCODE_IN_WORKER_FROM_VALUES = 4096;

/** Options of `ProtocolWorkers.start`. */
export interface ProtocolWorkersOptions {
  /** Worker threads, ≥ 1. */
  readonly workers: number;
  readonly models: readonly ServedModelInfo[];
  readonly limits: RequestLimits;
  /** The worker's script; default the built `protocol-worker.js` beside this module. */
  readonly script?: URL;
  /** JSON text (body or header) of fewer bytes is decoded inline; default `DECODE_IN_WORKER_FROM_JSON_BYTES`. */
  readonly minJsonBytes?: number;
  /** Raw bytes (binary body, gRPC message) below this are decoded inline; default `DECODE_IN_WORKER_FROM_RAW_BYTES`. */
  readonly minRawBytes?: number;
  /** Answers of fewer values are encoded inline; default `ENCODE_IN_WORKER_FROM_VALUES`. */
  readonly minAnswerValues?: number;
  /** Called when a worker died and was replaced. */
  readonly onCrash?: (details: { readonly threadId: number; readonly reason: string }) => void;
}

/**
 * The protocol work of the server (decode and validate request bodies, encode answers) on a
 * pool of worker threads, so that it runs beside inference instead of queueing behind it on
 * the main thread. Small bodies and answers are handled inline (same functions, same errors):
 * for them a round trip to a worker costs the main thread more than the work itself. Decoded
 * tensors come back moved, not copied.
 */
export class ProtocolWorkers {
  private readonly inline: ProtocolContext;
  private readonly minJsonBytes: number;
  private readonly minRawBytes: number;
  private readonly minAnswerValues: number;

  private constructor(
    private readonly pool: WorkerPool<ProtocolTask, ProtocolResult>,
    options: ProtocolWorkersOptions,
  ) {
    this.inline = protocolContext({ models: options.models, limits: options.limits });
    this.minJsonBytes = options.minJsonBytes ?? DECODE_IN_WORKER_FROM_JSON_BYTES;
    this.minRawBytes = options.minRawBytes ?? DECODE_IN_WORKER_FROM_RAW_BYTES;
    this.minAnswerValues = options.minAnswerValues ?? ENCODE_IN_WORKER_FROM_VALUES;
  }

  /** Starts the workers; resolves once every one has loaded (rejects if the script cannot). */
  static async start(options: ProtocolWorkersOptions): Promise<ProtocolWorkers> {
    const workerData: ProtocolWorkerData = { models: options.models, limits: options.limits };
    const pool = new WorkerPool<ProtocolTask, ProtocolResult>({
      script: options.script ?? protocolWorkerScript(),
      size: options.workers,
      workerData,
      onCrash: options.onCrash,
    });
    try {
      await pool.ready();
    } catch (error) {
      await pool.close();
      throw error;
    }
    return new ProtocolWorkers(pool, options);
  }

  /** Worker threads. */
  get size(): number {
    return this.pool.size;
  }

  /** Workers that died and were replaced. */
  get replaced(): number {
    return this.pool.replaced;
  }

  /** Decodes and validates a REST inference body for the model named in the URL. */
  async decodeRest(
    model: string,
    body: Buffer,
    headerLength: string | string[] | undefined,
  ): Promise<DecodedRequest> {
    const task: ProtocolTask = { kind: 'decode-rest', model, body, headerLength };
    if (!this.decodesInWorker(body.byteLength, jsonBytes(body.byteLength, headerLength)))
      return runProtocolTask(this.inline, task) as DecodedRequest;
    const owned = ownedCopy(body);
    return (await this.pool.run({ ...task, body: owned }, [owned.buffer as ArrayBuffer])) as DecodedRequest;
  }

  /** Decodes and validates a gRPC `ModelInferRequest` from its wire bytes. */
  async decodeGrpc(message: Buffer): Promise<DecodedRequest> {
    const task: ProtocolTask = { kind: 'decode-grpc', message };
    if (!this.decodesInWorker(message.byteLength, 0))
      return runProtocolTask(this.inline, task) as DecodedRequest;
    const owned = ownedCopy(message);
    return (await this.pool.run({ ...task, message: owned }, [
      owned.buffer as ArrayBuffer,
    ])) as DecodedRequest;
  }

  /** A REST response body for an answer; `binary` names the outputs sent as binary data. */
  async encodeRest(answer: InferAnswer, binary: readonly string[]): Promise<EncodedRestBody> {
    if (valueCount(answer) < this.minAnswerValues) return encodeRestBytes(answer, binary);
    return (await this.pool.run({ kind: 'encode-rest', answer, binary })) as EncodedRestBody;
  }

  /**
   * A gRPC response for an answer: the message bytes (encoded in a worker) or, for small
   * answers, the message object (serialized by `@grpc/grpc-js` as without workers).
   */
  async encodeGrpc(answer: InferAnswer): Promise<Uint8Array | GrpcInferResponse> {
    if (valueCount(answer) < this.minAnswerValues) return grpcInferResponse(answer);
    const result = (await this.pool.run({ kind: 'encode-grpc', answer })) as { body: Uint8Array };
    return result.body;
  }

  /** Whether a body goes to a worker: enough JSON to parse, or a very large body. */
  private decodesInWorker(bytes: number, json: number): boolean {
    return (json > 0 && json >= this.minJsonBytes) || bytes >= this.minRawBytes;
  }

  /** Stops the workers. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The context protocol tasks run in: models by name, limits, the gRPC message codec. */
export function protocolContext(data: ProtocolWorkerData): ProtocolContext {
  const modelInfer = loadOipGrpcService().service.ModelInfer!;
  return {
    models: new Map(data.models.map((model) => [model.name, model])),
    limits: data.limits,
    grpc: {
      deserialize: modelInfer.requestDeserialize as (bytes: Buffer) => unknown,
      serialize: modelInfer.responseSerialize as (message: unknown) => Buffer,
    },
  };
}

/**
 * The built worker entry: beside this module in `dist/`; from the sources (vitest runs them)
 * the package's `dist/protocol-worker.js`, since a worker thread cannot load TypeScript.
 */
export function protocolWorkerScript(): URL {
  const beside = new URL('./protocol-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL('../../dist/protocol-worker.js', import.meta.url);
}

/** The bytes in an ArrayBuffer of their own (moved to the worker); a copy unless the view owns it whole. */
function ownedCopy(bytes: Buffer): Uint8Array {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return new Uint8Array(bytes.buffer);
  }
  return new Uint8Array(bytes);
}

/** Bytes of JSON text in a REST body: the header's when the binary extension is used, else all. */
function jsonBytes(bodyBytes: number, headerLength: string | string[] | undefined): number {
  if (headerLength === undefined) return bodyBytes;
  const length = Number(Array.isArray(headerLength) ? headerLength[0] : headerLength);
  // A malformed header length is refused by the decoding; where it runs does not matter.
  return Number.isFinite(length) ? Math.min(length, bodyBytes) : 0;
}

function valueCount(answer: InferAnswer): number {
  return answer.outputs.reduce((sum, output) => sum + output.values.length, 0);
}
