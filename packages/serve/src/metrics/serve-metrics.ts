import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DriftSnapshot } from '../drift/drift-monitor.js';
import type { MonitorStatus } from '../feedback/monitor-status.js';
import type { ServingMode, ViolationResponseStatus } from '../feedback/violation-response.js';

/** `pcee_serving_mode` values. */
const SERVING_MODE_CODES: Readonly<Record<ServingMode, number>> = { policy: 0, 'final-exit': 1, abstain: 2 };

/** What the metrics read from each served model when Prometheus scrapes. */
export interface MetricsSource {
  readonly name: string;
  readonly stages: number;
  queueDepth(stage: number): number;
  inFlight(): number;
  drift(): DriftSnapshot;
  /** Live accuracy per exit over the feedback window (NaN where no labelled sample exited), and the window's sample count. */
  liveAccuracy(): { readonly perExit: Float64Array; readonly samples: number };
  monitor(): MonitorStatus;
  /** The response to accuracy violations: serving mode, recalibrations, reachability. */
  guard(): ViolationResponseStatus;
}

/** The protocol a request came over, as the `protocol` label says it. */
export type RequestProtocol = 'rest' | 'grpc';

/** Latency buckets in seconds: 1 ms to 10 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The server's Prometheus metrics, in a registry of its own (so several servers in one
 * process, as in tests, do not collide). Names follow Prometheus conventions: `_total` for
 * counters, base units (seconds), the model as a label.
 */
export class ServeMetrics {
  readonly registry = new Registry();
  /**
   * Inference requests answered, by model, protocol (`rest`, `grpc`) and code: the HTTP status
   * over REST, the gRPC status name (`OK`, `INVALID_ARGUMENT`, …) over gRPC.
   */
  readonly requests: Counter<'model' | 'protocol' | 'code'>;
  /** Wall time from request received to response sent, seconds, by model and protocol. */
  readonly requestDuration: Histogram<'model' | 'protocol'>;
  /** Samples answered, by model and exit taken. */
  readonly samples: Counter<'model' | 'exit'>;
  /** Samples answered "abstain" (reached the last exit below δ, with abstention on). */
  readonly abstained: Counter<'model'>;
  /** Rows per stage run. */
  readonly batchSize: Histogram<'model' | 'stage'>;
  /** Wall time of one stage run, seconds. */
  readonly stageDuration: Histogram<'model' | 'stage'>;
  /** Cost of the exits taken, in the model's cost unit. */
  readonly computeCost: Counter<'model' | 'unit'>;
  /** What the same samples would have cost on the full model, same unit. */
  readonly fullModelCost: Counter<'model' | 'unit'>;
  /** Samples that received label feedback. */
  readonly feedbackSamples: Counter<'model'>;
  /** Answered samples that left the feedback store before their labels came. */
  readonly feedbackExpired: Counter<'model'>;
  private sources: readonly MetricsSource[] = [];

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'pcee_requests_total',
      help: 'Inference requests answered, by model, protocol (rest, grpc) and code (the HTTP status over REST, the gRPC status name over gRPC).',
      labelNames: ['model', 'protocol', 'code'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'pcee_request_duration_seconds',
      help: 'Inference request latency from receipt to response, seconds, by model and protocol (rest, grpc).',
      labelNames: ['model', 'protocol'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.samples = new Counter({
      name: 'pcee_samples_total',
      help: 'Samples answered, by the exit they took.',
      labelNames: ['model', 'exit'],
      registers,
    });
    this.abstained = new Counter({
      name: 'pcee_samples_abstained_total',
      help: 'Samples answered "abstain": they reached the last exit in a bin below δ (abstention on).',
      labelNames: ['model'],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'pcee_stage_batch_size',
      help: 'Samples per stage run (per-stage batching refills deep stages across requests).',
      labelNames: ['model', 'stage'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    });
    this.stageDuration = new Histogram({
      name: 'pcee_stage_run_seconds',
      help: 'Wall time of one stage run on one batch, seconds.',
      labelNames: ['model', 'stage'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.computeCost = new Counter({
      name: 'pcee_compute_cost_total',
      help: 'Cumulative cost of the exits taken (FLOPs, ms, … as the unit label says).',
      labelNames: ['model', 'unit'],
      registers,
    });
    this.fullModelCost = new Counter({
      name: 'pcee_full_model_cost_total',
      help: 'What the same samples would have cost on the full model without early exit.',
      labelNames: ['model', 'unit'],
      registers,
    });
    this.feedbackSamples = new Counter({
      name: 'pcee_feedback_samples_total',
      help: 'Answered samples whose true label came back through POST /v2/models/{name}/feedback.',
      labelNames: ['model'],
      registers,
    });
    this.feedbackExpired = new Counter({
      name: 'pcee_feedback_expired_samples_total',
      help: 'Answered samples dropped from the feedback store (--feedback-capacity) before their labels came.',
      labelNames: ['model'],
      registers,
    });
    const sources = () => this.sources;
    /** A gauge with one value per model, read at scrape time; undefined leaves the model out. */
    const perModel = (name: string, help: string, value: (source: MetricsSource) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['model'],
        registers,
        collect() {
          this.reset();
          for (const source of sources()) {
            const current = value(source);
            if (current !== undefined) this.set({ model: source.name }, current);
          }
        },
      });
    const { computeCost, fullModelCost } = this;
    new Gauge({
      name: 'pcee_compute_saved_ratio',
      help: 'Share of the full model compute saved by early exit: 1 - compute_cost / full_model_cost.',
      labelNames: ['model'],
      registers,
      async collect() {
        this.reset();
        const spent = (await computeCost.get()).values;
        const full = (await fullModelCost.get()).values;
        for (const entry of full) {
          const used = spent.find((candidate) => candidate.labels.model === entry.labels.model);
          if (entry.value > 0 && used) {
            this.set({ model: String(entry.labels.model) }, 1 - used.value / entry.value);
          }
        }
      },
    });
    new Gauge({
      name: 'pcee_queue_depth',
      help: 'Samples waiting in each stage queue.',
      labelNames: ['model', 'stage'],
      registers,
      collect() {
        this.reset();
        for (const source of sources()) {
          for (let stage = 0; stage < source.stages; stage++) {
            this.set({ model: source.name, stage: String(stage) }, source.queueDepth(stage));
          }
        }
      },
    });
    perModel(
      'pcee_in_flight_samples',
      'Samples admitted and not yet answered (queued or running).',
      (source) => source.inFlight(),
    );
    new Gauge({
      name: 'pcee_drift_psi',
      help: 'Population stability index vs calibration over the sliding window (signal: first_confidence, exit_share, exit_confidence); above 0.25 is a significant shift.',
      labelNames: ['model', 'signal', 'exit'],
      registers,
      collect() {
        this.reset();
        for (const source of sources()) {
          const drift = source.drift();
          const set = (signal: string, exit: string, value: number) => {
            if (!Number.isNaN(value)) this.set({ model: source.name, signal, exit }, value);
          };
          set('first_confidence', '', drift.firstConfidencePsi);
          set('exit_share', '', drift.exitSharePsi);
          drift.exitConfidencePsi.forEach((value, exit) => {
            set('exit_confidence', String(exit), value);
          });
        }
      },
    });
    new Gauge({
      name: 'pcee_drift_exit_share',
      help: 'Share of samples per exit: observed over the sliding window, and the reference on held-out data.',
      labelNames: ['model', 'exit', 'source'],
      registers,
      collect() {
        this.reset();
        for (const source of sources()) {
          const drift = source.drift();
          drift.exitShare.forEach((share, exit) => {
            this.set({ model: source.name, exit: String(exit), source: 'observed' }, share);
            const reference = drift.referenceShare[exit]!;
            if (!Number.isNaN(reference)) {
              this.set({ model: source.name, exit: String(exit), source: 'reference' }, reference);
            }
          });
        }
      },
    });
    perModel(
      'pcee_drift_window_samples',
      'Samples in the drift monitor window.',
      (source) => source.drift().samples,
    );
    new Gauge({
      name: 'pcee_live_accuracy',
      help: 'Accuracy of the labelled samples that exited at each exit, over the live window (--window).',
      labelNames: ['model', 'exit'],
      registers,
      collect() {
        this.reset();
        for (const source of sources()) {
          source.liveAccuracy().perExit.forEach((accuracy, exit) => {
            if (!Number.isNaN(accuracy)) this.set({ model: source.name, exit: String(exit) }, accuracy);
          });
        }
      },
    });
    perModel(
      'pcee_accuracy_monitor_violated',
      'Accuracy monitor (--target-accuracy): 1 once the labelled answered samples show, at level --risk, accuracy below the target; 0 while not.',
      (source) => {
        const status = source.monitor();
        return status.state === 'off' ? undefined : status.state === 'violated' ? 1 : 0;
      },
    );
    perModel(
      'pcee_accuracy_monitor_log_wealth',
      'Accuracy monitor: ln of the betting wealth against "accuracy ≥ target"; it fires at ln(1/risk).',
      (source) => {
        const status = source.monitor();
        return status.state === 'off' ? undefined : status.logWealth;
      },
    );
    perModel(
      'pcee_serving_mode',
      'How samples are answered: 0 by the policy (loaded or recalibrated), 1 from the final exit, 2 "abstain" (safe modes after an accuracy violation, --on-violation).',
      (source) => SERVING_MODE_CODES[source.guard().mode],
    );
    perModel(
      'pcee_recalibrations',
      'Policies re-certified on labelled traces and swapped in while serving.',
      (source) => source.guard().recalibrations,
    );
    perModel(
      'pcee_target_unreachable',
      '1 when the last recalibration could not certify the target on the live window (nor the final exit reach it): the target is out of reach for the data served now.',
      (source) => (source.guard().unreachable ? 1 : 0),
    );
    perModel(
      'pcee_recalibration_window_samples',
      'Labelled traces collected towards the next recalibration.',
      (source) => source.guard().samples,
    );
    perModel(
      'pcee_live_window_samples',
      'Labelled samples in the live calibration window.',
      (source) => source.liveAccuracy().samples,
    );
  }

  /**
   * Counts one answered inference request of a served model.
   *
   * @param code the HTTP status (REST) or gRPC status name (gRPC) it was answered with.
   * @param seconds from receipt to response.
   */
  observeRequest(model: string, protocol: RequestProtocol, code: string, seconds: number): void {
    this.requests.inc({ model, protocol, code });
    this.requestDuration.observe({ model, protocol }, seconds);
  }

  /** The models whose queues, in-flight counts and drift the gauges read. */
  track(sources: readonly MetricsSource[]): void {
    this.sources = sources;
  }

  /** The metrics in Prometheus text format, and its content type. */
  async render(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
