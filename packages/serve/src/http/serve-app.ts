import { serializeProfile } from '@pcee/core';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { ServeError, UnavailableError } from '../errors/serve-error.js';
import type { ServeMetrics } from '../metrics/serve-metrics.js';
import { lookUpModel } from '../models/model-lookup.js';
import type { ServedModel } from '../models/served-model.js';
import { answerInferRequest, answerParsedRequest } from '../oip/answer-infer-request.js';
import { splitBinaryBody } from '../oip/binary-body.js';
import { parseFeedbackRequest } from '../oip/feedback-request.js';
import { isBinaryOutput, OUTPUT_NAMES, type OutputName, type RequestLimits } from '../oip/infer-request.js';
import { modelMetadata } from '../oip/model-metadata.js';
import { binarySectionInputs } from '../oip/raw-inputs.js';
import { encodeRestResponse } from '../oip/rest-response.js';
import { SERVER_EXTENSIONS } from '../oip/server-extensions.js';
import { admitDecoded } from '../workers/admit-decoded.js';
import type { ProtocolWorkers } from '../workers/protocol-workers.js';
import { sendError } from './error-reply.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The binary tensor extension's bytes after the JSON header (null before a body is parsed). */
    binarySection: Uint8Array | null;
    /** An inference body left undecoded for the protocol workers (null without workers). */
    rawInferBody: Buffer | null;
  }
}

/** Options of the HTTP layer. */
export interface ServeAppOptions {
  readonly models: readonly ServedModel[];
  readonly metrics: ServeMetrics;
  readonly limits: RequestLimits;
  /** Largest request body accepted, bytes; larger bodies are answered 413. */
  readonly bodyLimitBytes: number;
  /** Server version reported by `GET /v2`. */
  readonly version: string;
  /** fastify's logger option (pino): false for none, or options/an instance. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Whether the server refuses new work (draining for shutdown); read on every request. */
  readonly isDraining: () => boolean;
  /** Worker threads that decode inference bodies and encode answers; none: all on this thread. */
  readonly protocol?: ProtocolWorkers;
}

/**
 * The Open Inference Protocol v2 REST API on fastify: health, server and model metadata,
 * model readiness, inference, and Prometheus `/metrics`. Every error is `{"error": "…"}`
 * with its status; bodies are parsed as JSON whatever their content type (curl's default
 * form type included) and capped at `bodyLimitBytes`. Inference also speaks the binary tensor
 * data extension: with `Inference-Header-Content-Length`, the body is a JSON header followed
 * by the inputs' bytes, and outputs asked as `binary_data` come back the same way.
 */
export function createServeApp(options: ServeAppOptions): FastifyInstance {
  const { metrics, limits, bodyLimitBytes } = options;
  const models = new Map(options.models.map((model) => [model.info.name, model]));
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: bodyLimitBytes,
    // Per-request lines would dominate the log under load; the onResponse hook logs at debug.
    logController: new LogController({ disableRequestLogging: true }),
    // Our routes refuse with "the server is shutting down…" while draining; fastify's own closing
    // 503 ("Service Unavailable") would race with them for keep-alive requests during close.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });
  // Plain JSON.parse: the body is only read field by field (unknown keys, `__proto__`
  // included, are refused), so prototype-poisoning scans would cost time for nothing.
  app.removeAllContentTypeParsers();
  app.decorateRequest('binarySection', null);
  app.decorateRequest('rawInferBody', null);
  const { protocol } = options;
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: bodyLimitBytes }, (request, body, done) => {
    // With protocol workers, inference bodies are decoded by the route (in a worker or inline).
    if (protocol && request.routeOptions.url?.endsWith('/infer')) {
      request.rawInferBody = body as Buffer;
      done(null, undefined);
      return;
    }
    try {
      const { header, section } = splitBinaryBody(
        body as Buffer,
        request.headers['inference-header-content-length'],
      );
      request.binarySection = section;
      done(null, header);
    } catch (error) {
      if (!(error instanceof ServeError)) (error as { statusCode?: number }).statusCode = 400;
      done(error as Error, undefined);
    }
  });

  app.setErrorHandler((error, request, reply) => sendError(error, request, reply, bodyLimitBytes));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: `no route ${request.method} ${request.url.slice(0, 100)}; the API is /v2/health/{live,ready}, /v2/models/{name}[/ready|/infer|/feedback|/calibration] and /metrics`,
    }),
  );

  const lookUp = (name: string, version?: string): ServedModel => lookUpModel(models, name, version);

  app.get('/v2', async () => ({ name: 'pcee', version: options.version, extensions: SERVER_EXTENSIONS }));
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async () => {
    if (options.isDraining()) throw new UnavailableError('the server is shutting down', 5);
    return { ready: true };
  });

  type ModelParams = { name: string; version?: string };
  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get<{ Params: ModelParams }>(prefix, async (request) => {
      const model = lookUp(request.params.name, request.params.version);
      return modelMetadata(model.info, model.serving, limits, model.guardStatus());
    });
    app.get<{ Params: ModelParams }>(`${prefix}/ready`, async (request) => {
      const model = lookUp(request.params.name, request.params.version);
      if (options.isDraining()) throw new UnavailableError('the server is shutting down', 5);
      return { name: model.info.name, ready: true };
    });
    app.post<{ Params: ModelParams }>(`${prefix}/infer`, async (request, reply) => {
      if (protocol && request.rawInferBody) {
        return inferWithWorkers(protocol, request.rawInferBody, request, reply, () =>
          lookUp(request.params.name, request.params.version),
        );
      }
      const model = lookUp(request.params.name, request.params.version);
      const raw = binarySectionInputs(request.binarySection ?? new Uint8Array(0));
      const { request: parsed, answer } = await answerInferRequest(model, request.body, limits, raw);
      const encoded = encodeRestResponse(answer, (name) => isBinaryOutput(parsed, name as OutputName));
      if (encoded.kind === 'json') {
        reply.header('content-type', 'application/json; charset=utf-8');
        return encoded.json;
      }
      reply.header('content-type', 'application/octet-stream');
      reply.header('inference-header-content-length', String(encoded.headerLength));
      return reply.send(encoded.body);
    });
    app.post<{ Params: ModelParams }>(`${prefix}/feedback`, async (request) => {
      const model = lookUp(request.params.name, request.params.version);
      const body = parseFeedbackRequest(request.body);
      if (body.kind === 'one')
        return { id: body.entry.id, labelled: model.feedback.label(body.entry.id, body.entry.labels) };
      return { requests: body.entries.length, labelled: model.feedback.labelAll(body.entries) };
    });
    app.get<{ Params: ModelParams }>(`${prefix}/calibration`, async (request, reply) => {
      const model = lookUp(request.params.name, request.params.version);
      // The profile's own JSON with one more key: pcee evaluate, report and tune ignore it.
      const profile = JSON.parse(serializeProfile(model.feedback.liveProfile())) as Record<string, unknown>;
      reply.header('content-type', 'application/json; charset=utf-8');
      return {
        ...profile,
        operatingPoint: { ...model.feedback.operatingPoint(model.serving), guard: model.guardStatus() },
        consistency: JSON.parse(serializeProfile(model.feedback.consistencyProfile())),
      };
    });
  }

  app.get('/metrics', async (_request, reply) => {
    const { text, contentType } = await metrics.render();
    return reply.header('content-type', contentType).send(text);
  });

  // Overload and drain are answered before the body is read and parsed: under overload most
  // requests are refused, and parsing bodies only to drop them would steal the compute.
  app.addHook('onRequest', async (request) => {
    const name = (request.params as { name?: string } | undefined)?.name;
    if (request.method !== 'POST' || name === undefined || !request.routeOptions.url?.endsWith('/infer'))
      return;
    models.get(name)?.scheduler.assertAccepting();
  });

  // Request metrics for inference calls (known models only, so label values stay bounded).
  app.addHook('onResponse', async (request, reply) => {
    const name = (request.params as { name?: string } | undefined)?.name;
    if (!request.url.endsWith('/infer') || name === undefined || !models.has(name)) return;
    metrics.observeRequest(name, 'rest', String(reply.statusCode), reply.elapsedTime / 1000);
    request.log.debug({ model: name, status: reply.statusCode, ms: reply.elapsedTime }, 'inference request');
  });
  return app;
}

/** The infer route with protocol workers: decode (worker or inline), admit, run, encode. */
async function inferWithWorkers(
  protocol: ProtocolWorkers,
  body: Buffer,
  request: FastifyRequest<{ Params: { name: string; version?: string } }>,
  reply: FastifyReply,
  resolve: () => ServedModel,
): Promise<FastifyReply> {
  const decoded = await protocol.decodeRest(
    request.params.name,
    body,
    request.headers['inference-header-content-length'],
  );
  const { model, request: parsed } = admitDecoded(decoded, resolve, (error) => {
    // As the inline body parser: a body that does not split or parse is the client's 400.
    if (!(error instanceof ServeError)) (error as { statusCode?: number }).statusCode = 400;
    return error;
  });
  const { answer } = await answerParsedRequest(model, parsed);
  const binary = OUTPUT_NAMES.filter((name) => isBinaryOutput(parsed, name));
  const encoded = await protocol.encodeRest(answer, binary);
  if (encoded.kind === 'json') {
    reply.header('content-type', 'application/json; charset=utf-8');
    return reply.send(asBuffer(encoded.body));
  }
  reply.header('content-type', 'application/octet-stream');
  reply.header('inference-header-content-length', String(encoded.headerLength));
  return reply.send(asBuffer(encoded.body));
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
