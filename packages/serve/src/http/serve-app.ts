import { randomUUID } from 'node:crypto';
import { serializeProfile } from '@pcee/core';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import type { ServeMetrics } from '../metrics/serve-metrics.js';
import type { ServedModel } from '../models/served-model.js';
import { parseFeedbackRequest } from '../oip/feedback-request.js';
import { defaultOutputs, parseInferRequest, type RequestLimits } from '../oip/infer-request.js';
import { buildInferResponse } from '../oip/infer-response.js';
import { modelMetadata } from '../oip/model-metadata.js';
import { sendError } from './error-reply.js';
import { NotFoundError, UnavailableError } from './http-errors.js';

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
}

/**
 * The Open Inference Protocol v2 REST API on fastify: health, server and model metadata,
 * model readiness, inference, and Prometheus `/metrics`. Every error is `{"error": "…"}`
 * with its status; bodies are parsed as JSON whatever their content type (curl's default
 * form type included) and capped at `bodyLimitBytes`.
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
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: bodyLimitBytes }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      (error as { statusCode?: number }).statusCode = 400;
      done(error as Error, undefined);
    }
  });

  app.setErrorHandler((error, request, reply) => sendError(error, request, reply, bodyLimitBytes));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: `no route ${request.method} ${request.url.slice(0, 100)}; the API is /v2/health/{live,ready}, /v2/models/{name}[/ready|/infer|/feedback|/calibration] and /metrics`,
    }),
  );

  const lookUp = (name: string, version?: string): ServedModel => {
    const model = models.get(name);
    if (!model) {
      throw new NotFoundError(
        `no model named "${name.slice(0, 100)}" is served here; the models are: ${[...models.keys()].join(', ')}`,
      );
    }
    if (version !== undefined && version !== model.info.version) {
      throw new NotFoundError(
        `model "${name}" has no version "${version.slice(0, 40)}"; the version served is ${model.info.version}`,
      );
    }
    return model;
  };

  app.get('/v2', async () => ({ name: 'pcee', version: options.version, extensions: [] }));
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
      const model = lookUp(request.params.name, request.params.version);
      // Refuse before validating and preprocessing what could not be admitted anyway.
      model.scheduler.assertAccepting(declaredSamples(request.body));
      const parsed = parseInferRequest(request.body, model.info, limits);
      const outcome = await model.infer(parsed);
      reply.header('content-type', 'application/json; charset=utf-8');
      const outputs = parsed.outputs ?? defaultOutputs(outcome.abstain);
      // Every response carries an id, so its labels can come back through /feedback.
      const id = parsed.id ?? randomUUID();
      model.recordAnswers(id, outcome);
      return buildInferResponse(model.info, id, outputs, outcome);
    });
    app.post<{ Params: ModelParams }>(`${prefix}/feedback`, async (request) => {
      const model = lookUp(request.params.name, request.params.version);
      const { id, labels } = parseFeedbackRequest(request.body);
      return { id, labelled: model.feedback.label(id, labels) };
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
    metrics.requests.inc({ model: name, code: String(reply.statusCode) });
    metrics.requestDuration.observe({ model: name }, reply.elapsedTime / 1000);
    request.log.debug({ model: name, status: reply.statusCode, ms: reply.elapsedTime }, 'inference request');
  });
  return app;
}

/** The sample count a request body declares (its first input's first dimension), or 1. */
function declaredSamples(body: unknown): number {
  const samples = (body as { inputs?: { shape?: unknown[] }[] } | null)?.inputs?.[0]?.shape?.[0];
  return typeof samples === 'number' && Number.isInteger(samples) && samples > 0 ? samples : 1;
}
