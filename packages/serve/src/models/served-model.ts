import {
  type CalibrationProfile,
  type CompiledPolicy,
  compilePolicy,
  type ExitCosts,
  type FusionPlan,
  planFusion,
  seededRandom,
  type Tensor,
  withLiveExit,
} from '@pcee/core';
import type { DriftMonitor } from '../drift/drift-monitor.js';
import type { ModelFeedback } from '../feedback/model-feedback.js';
import type { ActiveMonitorStatus } from '../feedback/monitor-status.js';
import {
  type ServingMode,
  type ViolationAction,
  ViolationResponse,
  type ViolationResponseStatus,
} from '../feedback/violation-response.js';
import type { ServeMetrics } from '../metrics/serve-metrics.js';
import type { InferRequest, ServePolicyName } from '../oip/infer-request.js';
import type { ScheduledResult } from '../scheduler/pending-request.js';
import { finalExitPolicy } from './fallback-policy.js';
import type { CarriedBatch } from './model-pipeline.js';
import type { ModelScheduler } from './planned-scheduler.js';
import type { ServedModelInfo } from './served-model-info.js';
import { compileServing, type ServingPolicy } from './serving-policy.js';

/** One request's outcome. */
export interface InferOutcome {
  readonly result: ScheduledResult;
  readonly policy: ServePolicyName;
  /** δ that decided; with per-exit thresholds, the loosest non-final one. */
  readonly delta: number;
  readonly exitDeltas?: readonly number[];
  readonly abstain: boolean;
  /** Mean cost of the exits taken / full-model cost (1 for the baseline). */
  readonly relativeCost: number;
  /** How the model answered: by its policy, or in a safe mode after an accuracy violation. */
  readonly mode: ServingMode;
  /** The operating point's epoch (see `ModelFeedback.restart`). */
  readonly epoch: number;
}

/** How a served model watches its promise: audit sampling and the response to a violation. */
export interface ServedModelGuard {
  /** Share of samples, in [0, 1], run to the final exit to audit the early exits' consistency. */
  readonly auditRate: number;
  /** What a fired accuracy monitor does (`--on-violation`). */
  readonly onViolation: ViolationAction;
  /** Labelled traces a recalibration uses (`--recalibration-samples`). */
  readonly recalibrationSamples: number;
  /** Seed of the audit draw. */
  readonly seed?: number;
}

/** Everything a served model is made of (see `loadServedModel`). */
export interface ServedModelParts<Carried> {
  readonly info: ServedModelInfo;
  readonly profile: CalibrationProfile;
  readonly costs: ExitCosts;
  readonly serving: ServingPolicy;
  readonly scheduler: ModelScheduler<Carried>;
  /**
   * Run fused, as `pcee run` does: requests decided by the served policy run on the plan of
   * that policy (see `planFusion`), exit 0 kept live for the drift monitor; requests that need
   * every exit (traced, audited, safe modes) or pick another δ run every exit. Off for the
   * baseline and with fusion disabled.
   */
  readonly fuse?: boolean;
  /** Request tensors (as sent) → what stage 0 takes; throws `InvalidInputError` on bad data. */
  readonly prepare: (inputs: Readonly<Record<string, Tensor>>) => Carried;
  readonly drift: DriftMonitor;
  /** Label feedback: answers held by request id, and the live reliability diagrams. */
  readonly feedback: ModelFeedback;
  readonly metrics: ServeMetrics;
  readonly guard: ServedModelGuard;
  readonly log: (level: 'info' | 'warn', details: Record<string, unknown>, message: string) => void;
  /** Releases the model's sessions. */
  readonly dispose: () => Promise<void>;
}

/** What the model answers with now; replaced whole, so a request sees one consistent point. */
interface OperatingPoint {
  readonly profile: CalibrationProfile;
  readonly serving: ServingPolicy;
  readonly mode: ServingMode;
  readonly epoch: number;
  /** Compiled policies of this profile, by policy and thresholds. */
  readonly policies: Map<string, CompiledPolicy>;
  /** In a safe mode: the policy every sample is decided with. */
  readonly fallback?: CompiledPolicy;
  /** The fusion plan of the served policy at this point (computed on first use). */
  plan?: FusionPlan;
}

/** Compiled policies kept per model: requests may pick any δ, so the cache is bounded. */
const POLICY_CACHE_SIZE = 64;

/**
 * A model being served: turns validated requests into scheduled work, keeps the policy
 * cache, accounts exits, compute and drift, and keeps its promise: it audits a share of
 * samples, and when the accuracy monitor fires it switches to a safe mode and recalibrates
 * (see `ViolationResponse`). The operating point is swapped atomically: a request is decided
 * wholly by the point in force when it was admitted, and none is failed or reordered.
 */
export class ServedModel<Carried = CarriedBatch> {
  readonly info: ServedModelInfo;
  readonly scheduler: ModelScheduler<Carried>;
  readonly drift: DriftMonitor;
  readonly feedback: ModelFeedback;
  private readonly response: ViolationResponse;
  private readonly audit: () => number;
  private point: OperatingPoint;

  constructor(private readonly parts: ServedModelParts<Carried>) {
    this.info = parts.info;
    this.scheduler = parts.scheduler;
    this.drift = parts.drift;
    this.feedback = parts.feedback;
    this.audit = seededRandom(parts.guard.seed ?? Date.now());
    this.point = {
      profile: parts.profile,
      serving: parts.serving,
      mode: 'policy',
      epoch: parts.feedback.epoch,
      policies: new Map(),
    };
    // Compiles (and checks) the default policy once, into the cache.
    this.compiled(parts.serving.policy, parts.serving.exitDeltas ?? parts.serving.delta);
    // Without a monitor nothing fires, so the target given here is never used.
    const monitor = parts.feedback.monitorStatus();
    this.response = new ViolationResponse(
      {
        action: parts.guard.onViolation,
        samples: parts.guard.recalibrationSamples,
        policy: parts.serving.policy,
        targetAccuracy: monitor.state === 'off' ? 1 : monitor.targetAccuracy,
        risk: monitor.state === 'off' ? 0.05 : monitor.risk,
        profile: parts.profile,
      },
      {
        switchTo: (mode, profile) => this.switchTo(mode, profile),
        log: (level, details, message) => parts.log(level, { model: this.info.name, ...details }, message),
      },
    );
    parts.feedback.listen({
      violated: (status) => this.violated(status),
      labelledTrace: (trace, offset, label) => this.response.addLabelledTrace(trace, offset, label),
    });
  }

  /** How the model is served when a request sets nothing (the latest recalibrated point, once there is one). */
  get serving(): ServingPolicy {
    return this.point.serving;
  }

  /** How samples are answered now, and the state of the violation response. */
  guardStatus(): ViolationResponseStatus & { readonly auditRate: number } {
    return { ...this.response.status(), auditRate: this.parts.guard.auditRate };
  }

  /** Runs a validated request through the stages; rejects with 429/503 `HttpError`s on overload. */
  async infer(request: InferRequest): Promise<InferOutcome> {
    const point = this.point;
    const { serving } = point;
    const policy = request.policy ?? serving.policy;
    // A request's own δ replaces per-exit thresholds too; in a safe mode the server decides alone.
    const compiled =
      point.fallback ?? this.compiled(policy, request.delta ?? serving.exitDeltas ?? serving.delta);
    const abstain =
      point.mode === 'abstain' || (point.mode === 'policy' && (request.abstain ?? serving.abstain));
    const input = this.parts.prepare(request.inputs);
    const samples = this.scheduler.rows(input);
    const trace = this.traceFlags(point.mode, samples);
    const result = await this.scheduler.submit(
      input,
      {
        policy: compiled,
        measure: point.profile.confidence,
        wantLogits: request.outputs?.includes('logits') ?? false,
        abstain,
        ...(trace ? { trace } : {}),
      },
      trace ? undefined : this.planFor(point, compiled),
    );
    // Only samples decided as the server decides by default are comparable with the drift reference.
    const asDefault =
      point.mode === 'policy' &&
      request.policy === undefined &&
      request.delta === undefined &&
      request.abstain === undefined;
    return {
      result,
      policy: point.fallback ? serving.policy : policy,
      delta: compiled.delta,
      ...(compiled.exitDeltas ? { exitDeltas: compiled.exitDeltas } : {}),
      abstain,
      relativeCost: this.account(result, asDefault),
      mode: point.mode,
      epoch: point.epoch,
    };
  }

  /** Keeps a request's answers (and traces) under its id, for the labels `POST /feedback` brings. */
  recordAnswers(id: string, outcome: InferOutcome): void {
    // Only what feedback needs (not the logits a request may have asked for).
    const { prediction, exit, confidence, abstained, trace, traced } = outcome.result;
    this.feedback.record(id, {
      prediction,
      exit,
      confidence,
      abstained,
      epoch: outcome.epoch,
      ...(trace && traced ? { trace, traced } : {}),
    });
  }

  /** Releases the model's sessions (after the scheduler is idle). */
  dispose(): Promise<void> {
    return this.parts.dispose();
  }

  /**
   * The fused plan a request decided by `compiled` runs on: the served policy's plan at this
   * point when `compiled` keeps the same exits live (any δ with the same live exits runs the
   * same graphs), else undefined (every exit), so only one fused model per point is loaded.
   */
  private planFor(point: OperatingPoint, compiled: CompiledPolicy): FusionPlan | undefined {
    if (!this.parts.fuse || point.fallback) return undefined;
    const { serving } = point;
    const served = (point.plan ??= withLiveExit(
      planFusion(this.compiled(serving.policy, serving.exitDeltas ?? serving.delta)),
      0,
    ));
    const plan = withLiveExit(planFusion(compiled), 0);
    return plan.liveExits.join(',') === served.liveExits.join(',') ? served : undefined;
  }

  /** Which samples run to the final exit: all in a safe mode (to recalibrate on), else an audit draw. */
  private traceFlags(mode: ServingMode, samples: number): Uint8Array | undefined {
    if (this.info.baseline) return undefined;
    if (mode !== 'policy') return new Uint8Array(samples).fill(1);
    const rate = this.parts.guard.auditRate;
    if (rate <= 0) return undefined;
    const flags = Uint8Array.from({ length: samples }, () => (this.audit() < rate ? 1 : 0));
    return flags.includes(1) ? flags : undefined;
  }

  private violated(status: ActiveMonitorStatus): void {
    const { name } = this.info;
    const { onViolation } = this.parts.guard;
    const what =
      this.point.mode === 'policy'
        ? {
            recalibrate: `answering from the final exit until a policy is re-certified on ${this.parts.guard.recalibrationSamples} labelled samples`,
            abstain: `answering "abstain" until a policy with abstention is re-certified on ${this.parts.guard.recalibrationSamples} labelled samples`,
            full: 'answering from the final exit from now on',
            alert: `alert only (--on-violation alert): recalibrate on recent labelled data (GET /v2/models/${name}/calibration)`,
          }[onViolation]
        : 'even the final exit answers below the target on the data served now';
    this.parts.log(
      'warn',
      { model: name, monitor: status, onViolation, mode: this.point.mode },
      `accuracy monitor: the labelled answers of model "${name}" show accuracy below the target ${status.targetAccuracy} (risk ${status.risk}, after ${status.samples} labelled answers); ${what}`,
    );
    this.response.violated();
  }

  /** Swaps the operating point: a safe mode over the current profile, or a recalibrated profile's tuned point. */
  private switchTo(mode: ServingMode, profile?: CalibrationProfile): void {
    const current = this.point;
    const nextProfile = profile ?? current.profile;
    const serving: ServingPolicy = profile?.tuned
      ? {
          policy: current.serving.policy,
          delta: profile.tuned.delta!,
          abstain: profile.tuned.abstain,
          source: 'recalibrated',
        }
      : current.serving;
    this.feedback.restart(profile);
    this.point = {
      profile: nextProfile,
      serving,
      mode,
      epoch: this.feedback.epoch,
      policies: profile ? new Map<string, CompiledPolicy>() : current.policies,
      ...(mode === 'policy'
        ? {}
        : { fallback: finalExitPolicy(compileServing(nextProfile, serving), mode === 'final-exit') }),
    };
    // Re-plan now rather than on the next request: the new δ's fused model loads in the background.
    if (mode === 'policy' && this.parts.fuse) {
      const plan = this.planFor(
        this.point,
        this.compiled(serving.policy, serving.exitDeltas ?? serving.delta),
      );
      if (plan)
        this.scheduler
          .prepare?.(plan)
          .catch((error: unknown) =>
            this.parts.log(
              'warn',
              { model: this.info.name, liveExits: plan.liveExits, error: String(error) },
              'could not load the fused model of the new operating point; it is retried on the next request',
            ),
          );
    }
  }

  private compiled(policy: ServePolicyName, thresholds: number | readonly number[]): CompiledPolicy {
    const { policies, profile } = this.point;
    const key = `${policy}:${thresholds}`;
    let compiled = policies.get(key);
    if (compiled) {
      // Refresh its place: the Map's insertion order is the eviction order.
      policies.delete(key);
    } else {
      compiled = compilePolicy(profile, policy, thresholds);
      if (policies.size >= POLICY_CACHE_SIZE) policies.delete(policies.keys().next().value!);
    }
    policies.set(key, compiled);
    return compiled;
  }

  /** Metrics and drift for one answered request; returns its relative cost. */
  private account(result: ScheduledResult, asDefault: boolean): number {
    const { costs, metrics, info } = this.parts;
    const perExit = new Float64Array(info.exits);
    let cost = 0;
    for (let sample = 0; sample < result.exit.length; sample++) {
      const exit = result.exit[sample]!;
      perExit[exit]++;
      // A traced sample ran every stage, whatever exit answered it.
      cost += info.baseline
        ? costs.fullModel
        : costs.exits[result.traced?.[sample] === 1 ? info.exits - 1 : exit]!;
    }
    perExit.forEach((count, exit) => {
      if (count > 0) metrics.samples.inc({ model: info.name, exit: String(exit) }, count);
    });
    const samples = result.exit.length;
    metrics.computeCost.inc({ model: info.name, unit: costs.unit }, cost);
    metrics.fullModelCost.inc({ model: info.name, unit: costs.unit }, samples * costs.fullModel);
    const abstained = result.abstained.reduce((sum, flag) => sum + flag, 0);
    if (abstained > 0) metrics.abstained.inc({ model: info.name }, abstained);
    if (asDefault) {
      for (let sample = 0; sample < samples; sample++) {
        this.drift.observe(result.exit[sample]!, result.confidence[sample]!, result.firstConfidence[sample]!);
      }
    }
    return cost / (samples * costs.fullModel);
  }
}
