import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { ServeMetrics } from '../metrics/serve-metrics.js';
import { lookUpModel } from '../models/model-lookup.js';
import type { ServedModel } from '../models/served-model.js';
import { answerInferRequest, answerParsedRequest } from '../oip/answer-infer-request.js';
import type { RequestLimits } from '../oip/infer-request.js';
import { modelMetadata } from '../oip/model-metadata.js';
import { SERVER_EXTENSIONS } from '../oip/server-extensions.js';
import { admitDecoded } from '../workers/admit-decoded.js';
import type { ProtocolWorkers } from '../workers/protocol-workers.js';
import type { GrpcInferRequest } from './grpc-messages.js';
import { grpcInferBody } from './grpc-request.js';
import { grpcInferResponse } from './grpc-response.js';
import { grpcErrorOf } from './grpc-status.js';
import { loadOipGrpcService } from './oip-grpc-package.js';

/** What the gRPC endpoint shares with the REST API of the same server. */
export interface GrpcServeOptions {
  readonly models: readonly ServedModel[];
  readonly metrics: ServeMetrics;
  readonly limits: RequestLimits;
  /** Largest request message, bytes (the REST body limit); larger is RESOURCE_EXHAUSTED. */
  readonly maxMessageBytes: number;
  /** Reported by ServerMetadata. */
  readonly version: string;
  /** Whether the server refuses new work (draining for shutdown); read on every call. */
  readonly isDraining: () => boolean;
  readonly host: string;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Worker threads that decode ModelInfer messages and encode answers; none: all on this thread. */
  readonly protocol?: ProtocolWorkers;
}

/** A listening gRPC endpoint. */
export interface RunningGrpcServer {
  /** `host:port` as clients dial it, e.g. `127.0.0.1:8081`. */
  readonly address: string;
  readonly port: number;
  /**
   * Stops listening; calls in flight finish first (the models were drained before), and are
   * cut after `graceMs`. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * The Open Inference Protocol v2 over gRPC (KServe's `grpc_predict_v2.proto`): ServerLive,
 * ServerReady, ModelReady, ServerMetadata, ModelMetadata and ModelInfer on the same models,
 * limits, request parameters and feedback store as the REST API. ModelInfer converts the
 * message to the REST request shape and answers through `answerInferRequest`, so validation,
 * ids and feedback are the REST API's; outputs come back in `raw_output_contents`.
 */
export async function startGrpcServer(options: GrpcServeOptions): Promise<RunningGrpcServer> {
  const { limits, metrics, isDraining } = options;
  const models = new Map(options.models.map((model) => [model.info.name, model]));
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
  });
  const { protocol } = options;
  const loaded = loadOipGrpcService().service;
  const service = protocol ? withRawModelInfer(loaded) : loaded;
  const implementation: UntypedServiceImplementation = {
    ServerLive: unary(() => ({ live: true })),
    ServerReady: unary(() => ({ ready: !isDraining() })),
    ModelReady: unary((request: { name: string; version: string }) => {
      lookUpModel(models, request.name, request.version || undefined);
      return { ready: !isDraining() };
    }),
    ServerMetadata: unary(() => ({ name: 'pcee', version: options.version, extensions: SERVER_EXTENSIONS })),
    ModelMetadata: unary((request: { name: string; version: string }) => {
      const model = lookUpModel(models, request.name, request.version || undefined);
      // The PCEE parameters (exits, δ, policies) have no field in this message; GET /v2/models/{name} has them.
      const { parameters: _parameters, ...metadata } = modelMetadata(model.info, model.serving, limits);
      return {
        ...metadata,
        inputs: metadata.inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
        outputs: metadata.outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
      };
    }),
    ModelInfer: (
      call: ServerUnaryCall<GrpcInferRequest | Buffer, unknown>,
      callback: sendUnaryData<unknown>,
    ) => {
      const started = performance.now();
      let name = Buffer.isBuffer(call.request) ? undefined : call.request.model_name;
      const observe = (code: status) => {
        if (name !== undefined && models.has(name))
          metrics.observeRequest(
            name,
            'grpc',
            status[code] ?? String(code),
            (performance.now() - started) / 1000,
          );
      };
      (async () => {
        if (protocol && Buffer.isBuffer(call.request)) {
          // With workers the message arrives as bytes: decoded in a worker, or inline when small.
          const decoded = await protocol.decodeGrpc(call.request);
          if (decoded.step !== 'parse') name = decoded.model;
          const admitted = admitDecoded(decoded, (model, version) => lookUpModel(models, model, version));
          const { answer } = await answerParsedRequest(admitted.model, admitted.request);
          return protocol.encodeGrpc(answer);
        }
        const message = call.request as GrpcInferRequest;
        const model = lookUpModel(models, message.model_name, message.model_version || undefined);
        // Refused before conversion and validation, as REST refuses before reading the body.
        model.scheduler.assertAccepting();
        const { body, raw } = grpcInferBody(message);
        const { answer } = await answerInferRequest(model, body, limits, raw);
        return grpcInferResponse(answer);
      })().then(
        (response) => {
          observe(status.OK);
          callback(null, response);
        },
        (error: unknown) => {
          const { code, details, metadata } = grpcErrorOf(error, options.maxMessageBytes);
          observe(code);
          callback({ code, details, metadata });
        },
      );
    },
  };
  server.addService(service, implementation);
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  let closing: Promise<void> | undefined;
  const close = (graceMs = 5000) => {
    closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return closing;
  };
  return { address: `${host}:${port}`, port, close };
}

/**
 * The service with ModelInfer's messages left as bytes: the protocol workers decode requests
 * and may hand back encoded responses (bytes pass through; message objects are serialized as
 * usual).
 */
function withRawModelInfer(service: ServiceDefinition): ServiceDefinition {
  const modelInfer = service.ModelInfer!;
  const serialize = modelInfer.responseSerialize;
  return {
    ...service,
    ModelInfer: {
      ...modelInfer,
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: (value: unknown) =>
        value instanceof Uint8Array
          ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
          : serialize(value as never),
    },
  };
}

/** A unary handler from a function of the request: errors become gRPC statuses as REST's do. */
function unary<Request>(handle: (request: Request) => unknown) {
  return (call: ServerUnaryCall<Request, unknown>, callback: sendUnaryData<unknown>) => {
    try {
      callback(null, handle(call.request));
    } catch (error) {
      const { code, details, metadata } = grpcErrorOf(error, 0);
      callback({ code, details, metadata });
    }
  };
}
