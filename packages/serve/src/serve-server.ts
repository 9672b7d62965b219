import { InvalidArgumentError, type LoadOptions } from '@pcee/core';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { UnavailableError } from './errors/serve-error.js';
import { ServeSettingError } from './errors/serve-setting-error.js';
import { VIOLATION_ACTIONS, type ViolationAction } from './feedback/violation-response.js';
import { type RunningGrpcServer, startGrpcServer } from './grpc/grpc-server.js';
import { createServeApp } from './http/serve-app.js';
import { ServeMetrics } from './metrics/serve-metrics.js';
import { loadServedModel, type ModelSource } from './models/load-served-model.js';
import type { ServedModel } from './models/served-model.js';
import type { ServePolicyName } from './oip/infer-request.js';
import type { BatchingMode } from './scheduler/stage-scheduler.js';
import { ProtocolWorkers } from './workers/protocol-workers.js';
import { planThreads } from './workers/thread-plan.js';

/** Everything `pcee serve` can set. Defaults in `SERVE_DEFAULTS`. */
export interface ServeOptions {
  /** The models, each with its profile. Names (manifest ids) must differ. */
  readonly models: readonly ModelSource[];
  /** Default δ for every model; else each profile's tuned δ. */
  readonly delta?: number;
  /** Default policy for every model; else each profile's tuned policy, else `pcee`. */
  readonly policy?: ServePolicyName;
  /** Default abstention for every model; else each profile's tuned choice, else off. */
  readonly abstain?: boolean;
  /** Interface to bind; default 127.0.0.1 (use 0.0.0.0 in a container). */
  readonly host?: string;
  /** TCP port; 0 picks a free one. Default 8080. */
  readonly port?: number;
  /** TCP port of the gRPC endpoint (OIP v2 `grpc_predict_v2.proto`) on the same host; 0 picks a free one; default none. */
  readonly grpcPort?: number;
  /** Device and threads for onnxruntime (`threads` unset: balanced against `workers`, see `planThreads`). */
  readonly load?: LoadOptions;
  /**
   * Worker threads for the protocol work (decode and validate request bodies, encode answers),
   * beside the main thread that runs the event loop, the scheduler and onnxruntime's calls.
   * 0 keeps that work on the main thread. Default: `defaultProtocolWorkers()` (one per four
   * cores, 1 to 4).
   */
  readonly workers?: number;
  /** Fine-tuning of the protocol workers (tests send every body to a worker with zeros). */
  readonly workerOptions?: {
    /** JSON text (body or header) of fewer bytes is decoded inline; default `DECODE_IN_WORKER_FROM_JSON_BYTES`. */
    readonly minJsonBytes?: number;
    /** Raw bytes (binary body, gRPC message) below this are decoded inline; default `DECODE_IN_WORKER_FROM_RAW_BYTES`. */
    readonly minRawBytes?: number;
    /** Answers of fewer values are encoded inline; default `ENCODE_IN_WORKER_FROM_VALUES`. */
    readonly minAnswerValues?: number;
    /** The workers' script; default the package's built `protocol-worker.js`. */
    readonly script?: URL;
  };
  /** Serve each package's full.onnx without early exit. */
  readonly baseline?: boolean;
  readonly batching?: BatchingMode;
  /** Samples per stage run. */
  readonly maxBatch?: number;
  /** Longest a sample waits for its batch to fill, ms. */
  readonly maxDelayMs?: number;
  /** Samples held per model (queued or running); beyond, 429. */
  readonly maxQueue?: number;
  /** Per-request deadline, ms; beyond, 503. */
  readonly timeoutMs?: number;
  /** Samples per request; beyond, 413. */
  readonly maxRequestSamples?: number;
  /** Request body limit, bytes; beyond, 413. */
  readonly bodyLimitBytes?: number;
  /** Policies requests may choose. */
  readonly policies?: readonly ServePolicyName[];
  /** Range requests' δ must fall in. */
  readonly deltaRange?: readonly [number, number];
  /** Drift monitor window (samples) and PSI alert threshold. */
  readonly driftWindow?: number;
  readonly driftThreshold?: number;
  /** Answered samples held for label feedback; the oldest expire beyond it. */
  readonly feedbackCapacity?: number;
  /** Labelled samples in the live reliability diagrams (a sliding window). */
  readonly window?: number;
  /**
   * Accuracy the answered samples must keep (the anytime-valid monitor over label feedback);
   * default: the target of each profile's tuned guarantee, else no monitor.
   */
  readonly targetAccuracy?: number;
  /** The monitor's false-alarm risk α; default the tuned profile's, else 0.05. */
  readonly risk?: number;
  /** Share of samples, in [0, 1], run to the final exit to audit the early exits (label-free consistency). */
  readonly auditRate?: number;
  /** What a fired accuracy monitor does; default `recalibrate`. */
  readonly onViolation?: ViolationAction;
  /** Labelled traces a recalibration uses: half to calibrate, half to certify. */
  readonly recalibrationSamples?: number;
  /** Seed of the audit draw (default: the clock). */
  readonly seed?: number;
  /** Longest a SIGTERM drain waits for admitted requests, ms. */
  readonly drainTimeoutMs?: number;
  /** fastify logger option (pino); default off. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Reported by GET /v2. */
  readonly version?: string;
}

/** Defaults of `ServeOptions`, chosen by measurement where it matters (see the serve guide). */
export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  maxBatch: 64,
  maxDelayMs: 2,
  maxQueue: 1024,
  timeoutMs: 10_000,
  maxRequestSamples: 256,
  bodyLimitBytes: 8 * 1024 * 1024,
  policies: ['pcee', 'pcee-ws', 'confidence'] as readonly ServePolicyName[],
  deltaRange: [0, 1] as readonly [number, number],
  driftWindow: 2000,
  driftThreshold: 0.25,
  feedbackCapacity: 100_000,
  window: 20_000,
  auditRate: 0,
  onViolation: 'recalibrate' as ViolationAction,
  recalibrationSamples: 2000,
  drainTimeoutMs: 30_000,
} as const;

/** How long a closing server keeps answering 503 after the drain before it closes its sockets, ms. */
const CLOSE_LINGER_MS = 100;

/** A listening server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly app: FastifyInstance;
  /** `host:port` of the gRPC endpoint, when `grpcPort` was given. */
  readonly grpcAddress?: string;
  readonly models: readonly ServedModel[];
  /** The protocol worker threads, when `workers` > 0. */
  readonly protocol?: ProtocolWorkers;
  /**
   * Graceful shutdown: readiness turns 503, new requests are refused with 503, admitted ones
   * complete (up to `drainTimeoutMs`, then they are failed with 503), the listeners (REST and
   * gRPC) close and the sessions are released. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Loads every model, then listens. A model that fails to load stops the start (the ones
 * already loaded are released) with its error.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const settings = { ...SERVE_DEFAULTS, ...withoutUndefined(options) };
  if (settings.maxRequestSamples > settings.maxQueue) {
    throw new ServeSettingError(
      `maxRequestSamples (${settings.maxRequestSamples}) is over maxQueue (${settings.maxQueue}): such a request could never be admitted; lower it or raise maxQueue`,
      ['maxRequestSamples', 'maxQueue'],
    );
  }
  checkGuardSettings(settings);
  if (options.models.length === 0)
    throw new InvalidArgumentError('no model to serve; give at least one model folder');
  if (settings.workers !== undefined && !(Number.isInteger(settings.workers) && settings.workers >= 0)) {
    throw new ServeSettingError(
      `workers must be an integer ≥ 0 (0 decodes requests on the main thread), got ${settings.workers}`,
      ['workers'],
    );
  }
  const threads = planThreads(settings.workers, settings.load?.threads);
  const metrics = new ServeMetrics();
  let log: (level: 'info' | 'warn', details: Record<string, unknown>, message: string) => void = () => {};
  const models: ServedModel[] = [];
  try {
    for (const source of options.models) {
      const model = await loadServedModel(source, {
        delta: settings.delta,
        policy: settings.policy,
        abstain: settings.abstain,
        baseline: settings.baseline,
        load: {
          ...settings.load,
          ...(threads.intraOpThreads === undefined ? {} : { threads: threads.intraOpThreads }),
        },
        scheduler: {
          maxBatch: settings.maxBatch,
          maxDelayMs: settings.maxDelayMs,
          maxQueue: settings.maxQueue,
          timeoutMs: settings.timeoutMs,
          batching: settings.batching,
        },
        drift: { window: settings.driftWindow, threshold: settings.driftThreshold },
        feedback: {
          capacity: settings.feedbackCapacity,
          window: settings.window,
          targetAccuracy: settings.targetAccuracy,
          risk: settings.risk,
        },
        guard: {
          auditRate: settings.auditRate,
          onViolation: settings.onViolation,
          recalibrationSamples: settings.recalibrationSamples,
          seed: settings.seed,
        },
        metrics,
        log: (level, details, message) => log(level, details, message),
      });
      const clash = models.find((other) => other.info.name === model.info.name);
      models.push(model);
      if (clash) {
        throw new InvalidArgumentError(
          `two model folders have the id "${model.info.name}"; serve each model once (model names are their ids)`,
        );
      }
    }
  } catch (error) {
    await Promise.allSettled(models.map((model) => model.dispose()));
    throw error;
  }
  metrics.track(
    models.map((model) => ({
      name: model.info.name,
      stages: model.info.baseline ? 1 : model.info.exits,
      queueDepth: (stage: number) => model.scheduler.queueDepth(stage),
      inFlight: () => model.scheduler.inFlight,
      drift: () => model.drift.snapshot(),
      liveAccuracy: () => model.feedback.liveAccuracy(),
      monitor: () => model.feedback.monitorStatus(),
      guard: () => model.guardStatus(),
    })),
  );
  let draining = false;
  const requestLimits = {
    maxSamples: settings.maxRequestSamples,
    policies: settings.policies,
    deltaRange: settings.deltaRange,
  };
  let protocol: ProtocolWorkers | undefined;
  if (threads.workers > 0) {
    try {
      protocol = await ProtocolWorkers.start({
        workers: threads.workers,
        models: models.map((model) => model.info),
        limits: requestLimits,
        ...settings.workerOptions,
        onCrash: (details) => log('warn', details, 'a protocol worker died; replaced it'),
      });
    } catch (error) {
      await Promise.allSettled(models.map((model) => model.dispose()));
      throw error;
    }
  }
  const app = createServeApp({
    models,
    metrics,
    limits: requestLimits,
    bodyLimitBytes: settings.bodyLimitBytes,
    version: settings.version ?? '0.1.0',
    logger: settings.logger,
    isDraining: () => draining,
    protocol,
  });
  log = (level, details, message) => app.log[level](details, message);
  app.log.info(
    { workers: threads.workers, intraOpThreads: threads.intraOpThreads ?? 'onnxruntime default' },
    threads.workers > 0
      ? `protocol work on ${threads.workers} worker thread(s)`
      : 'protocol work on the main thread',
  );
  for (const model of models) {
    app.log.info(
      {
        model: model.info.name,
        version: model.info.version,
        policy: model.serving.policy,
        delta: model.serving.delta,
        exitDeltas: model.serving.exitDeltas,
        abstain: model.serving.abstain,
        from: model.serving.source,
        baseline: model.info.baseline,
      },
      `serving model "${model.info.name}"`,
    );
  }
  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    await Promise.allSettled([...models.map((model) => model.dispose()), protocol?.close()]);
    throw new ServeSettingError(
      `cannot listen on ${settings.host}:${settings.port}: ${(error as Error).message}; pick another port or host`,
      ['port', 'host'],
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  let grpc: RunningGrpcServer | undefined;
  if (settings.grpcPort !== undefined) {
    try {
      grpc = await startGrpcServer({
        models,
        metrics,
        limits: requestLimits,
        maxMessageBytes: settings.bodyLimitBytes,
        version: settings.version ?? '0.1.0',
        isDraining: () => draining,
        host: settings.host,
        port: settings.grpcPort,
        protocol,
      });
    } catch (error) {
      await app.close();
      await Promise.allSettled([...models.map((model) => model.dispose()), protocol?.close()]);
      throw new ServeSettingError(
        `cannot listen for gRPC on ${settings.host}:${settings.grpcPort}: ${(error as Error).message}; pick another grpcPort`,
        ['grpcPort'],
      );
    }
    app.log.info({ address: grpc.address }, 'gRPC (OIP v2) listening');
  }
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      draining = true;
      for (const model of models) model.scheduler.stopAccepting();
      const admitted = models.reduce((sum, model) => sum + model.scheduler.inFlight, 0);
      app.log.info({ admitted }, 'shutting down: draining admitted requests');
      const drained = await waitAll(
        models.map((model) => model.scheduler.idle()),
        settings.drainTimeoutMs,
      );
      if (!drained) {
        app.log.warn({ timeoutMs: settings.drainTimeoutMs }, 'drain timed out; failing the requests left');
      }
      // Fails whatever is left (nothing after a full drain) and stops the schedulers' timers.
      for (const model of models) {
        model.scheduler.abort(
          new UnavailableError('the server shut down before this request ran; retry on another replica', 1),
        );
      }
      // Requests already on the wire when the drain ended still reach a route and get the
      // shutdown 503: closing at once would reset their keep-alive sockets instead (Node counts
      // a connection whose next request is not parsed yet as idle).
      await new Promise((resolve) => setTimeout(resolve, CLOSE_LINGER_MS));
      await Promise.all([app.close(), grpc?.close()]);
      // No request is left to decode or encode once both listeners closed.
      await Promise.allSettled([...models.map((model) => model.dispose()), protocol?.close()]);
      app.log.info('shut down');
    })();
    return closing;
  };
  return {
    url: `http://${host}:${port}`,
    app,
    ...(grpc ? { grpcAddress: grpc.address } : {}),
    ...(protocol ? { protocol } : {}),
    models,
    close,
  };
}

/** Refuses an audit rate, violation action or recalibration size out of range, naming the flag. */
function checkGuardSettings(settings: {
  auditRate: number;
  onViolation: ViolationAction;
  recalibrationSamples: number;
}): void {
  if (!(settings.auditRate >= 0 && settings.auditRate <= 1)) {
    throw new ServeSettingError(
      `auditRate must be a share in [0, 1], got ${settings.auditRate}; e.g. 0.05 audits one sample in 20`,
      ['auditRate'],
    );
  }
  if (!VIOLATION_ACTIONS.includes(settings.onViolation)) {
    throw new ServeSettingError(
      `onViolation must be one of ${VIOLATION_ACTIONS.join(', ')}, got "${settings.onViolation}"`,
      ['onViolation'],
    );
  }
  if (!Number.isInteger(settings.recalibrationSamples) || settings.recalibrationSamples < 100) {
    throw new ServeSettingError(
      `recalibrationSamples must be an integer ≥ 100 (half calibrates, half certifies), got ${settings.recalibrationSamples}; e.g. 2000`,
      ['recalibrationSamples'],
    );
  }
}

/** Resolves true when all settle within `milliseconds`, false on timeout. */
async function waitAll(promises: Promise<unknown>[], milliseconds: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), milliseconds);
  });
  const result = await Promise.race([Promise.all(promises).then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

function withoutUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
