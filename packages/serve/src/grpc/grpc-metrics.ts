import { status } from '@grpc/grpc-js';
import { Counter, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, type ServeMetrics } from '../metrics/serve-metrics.js';

/**
 * ModelInfer calls answered over gRPC, beside the REST API's `pcee_requests_total` (whose
 * `code` is an HTTP status): same model label, the gRPC status name as `code`. Samples, exits,
 * batches, compute and drift are counted by the model, whatever the transport.
 */
export class GrpcMetrics {
  /** Calls answered, by model and gRPC status name (OK, INVALID_ARGUMENT, …). */
  readonly requests: Counter<'model' | 'code'>;
  /** Wall time from call received to response sent, seconds. */
  readonly requestDuration: Histogram<'model'>;

  constructor(metrics: ServeMetrics) {
    const registers = [metrics.registry];
    this.requests = new Counter({
      name: 'pcee_grpc_requests_total',
      help: 'gRPC ModelInfer calls answered, by model and gRPC status code name.',
      labelNames: ['model', 'code'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'pcee_grpc_request_duration_seconds',
      help: 'gRPC ModelInfer latency from receipt to response, seconds.',
      labelNames: ['model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
  }

  /** Counts one answered call of a served model. */
  observe(model: string, code: status, seconds: number): void {
    this.requests.inc({ model, code: status[code] ?? String(code) });
    this.requestDuration.observe({ model }, seconds);
  }
}
