import {
  type CalibrationProfile,
  type CompiledPolicy,
  compilePolicy,
  type ExitCosts,
  type Tensor,
} from '@pcee/core';
import type { DriftMonitor } from '../drift/drift-monitor.js';
import type { ModelFeedback } from '../feedback/model-feedback.js';
import type { ServeMetrics } from '../metrics/serve-metrics.js';
import type { InferRequest, ServePolicyName } from '../oip/infer-request.js';
import type { ScheduledResult } from '../scheduler/pending-request.js';
import type { StageScheduler } from '../scheduler/stage-scheduler.js';
import type { CarriedBatch } from './model-pipeline.js';
import type { ServedModelInfo } from './served-model-info.js';
import type { ServingPolicy } from './serving-policy.js';

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
}

/** Everything a served model is made of (see `loadServedModel`). */
export interface ServedModelParts<Carried> {
  readonly info: ServedModelInfo;
  readonly profile: CalibrationProfile;
  readonly costs: ExitCosts;
  readonly serving: ServingPolicy;
  readonly scheduler: StageScheduler<Carried>;
  /** Request tensors (as sent) → what stage 0 takes; throws `InvalidInputError` on bad data. */
  readonly prepare: (inputs: Readonly<Record<string, Tensor>>) => Carried;
  readonly drift: DriftMonitor;
  /** Label feedback: answers held by request id, and the live reliability diagrams. */
  readonly feedback: ModelFeedback;
  readonly metrics: ServeMetrics;
  /** Releases the model's sessions. */
  readonly dispose: () => Promise<void>;
}

/** Compiled policies kept per model: requests may pick any δ, so the cache is bounded. */
const POLICY_CACHE_SIZE = 64;

/**
 * A model being served: turns validated requests into scheduled work, keeps the policy
 * cache, and accounts exits, compute and drift.
 */
export class ServedModel<Carried = CarriedBatch> {
  readonly info: ServedModelInfo;
  readonly serving: ServingPolicy;
  readonly scheduler: StageScheduler<Carried>;
  readonly drift: DriftMonitor;
  readonly feedback: ModelFeedback;
  private readonly policies = new Map<string, CompiledPolicy>();

  constructor(private readonly parts: ServedModelParts<Carried>) {
    this.info = parts.info;
    this.serving = parts.serving;
    this.scheduler = parts.scheduler;
    this.drift = parts.drift;
    this.feedback = parts.feedback;
    this.compiled(parts.serving.policy, parts.serving.exitDeltas ?? parts.serving.delta);
  }

  /** Runs a validated request through the stages; rejects with 429/503 `HttpError`s on overload. */
  async infer(request: InferRequest): Promise<InferOutcome> {
    const { serving } = this;
    const policy = request.policy ?? serving.policy;
    // A request's own δ replaces per-exit thresholds too.
    const thresholds = request.delta ?? serving.exitDeltas ?? serving.delta;
    const abstain = request.abstain ?? serving.abstain;
    const compiled = this.compiled(policy, thresholds);
    const input = this.parts.prepare(request.inputs);
    const result = await this.scheduler.submit(input, {
      policy: compiled,
      measure: this.parts.profile.confidence,
      wantLogits: request.outputs?.includes('logits') ?? false,
      abstain,
    });
    // Only samples decided as the server decides by default are comparable with the drift reference.
    const asDefault =
      request.policy === undefined && request.delta === undefined && request.abstain === undefined;
    return {
      result,
      policy,
      delta: compiled.delta,
      ...(compiled.exitDeltas ? { exitDeltas: compiled.exitDeltas } : {}),
      abstain,
      relativeCost: this.account(result, asDefault),
    };
  }

  /** Releases the model's sessions (after the scheduler is idle). */
  dispose(): Promise<void> {
    return this.parts.dispose();
  }

  private compiled(policy: ServePolicyName, thresholds: number | readonly number[]): CompiledPolicy {
    const key = `${policy}:${thresholds}`;
    let compiled = this.policies.get(key);
    if (compiled) {
      // Refresh its place: the Map's insertion order is the eviction order.
      this.policies.delete(key);
    } else {
      compiled = compilePolicy(this.parts.profile, policy, thresholds);
      if (this.policies.size >= POLICY_CACHE_SIZE) this.policies.delete(this.policies.keys().next().value!);
    }
    this.policies.set(key, compiled);
    return compiled;
  }

  /** Metrics and drift for one answered request; returns its relative cost. */
  private account(result: ScheduledResult, asDefault: boolean): number {
    const { costs, metrics, info } = this.parts;
    const perExit = new Float64Array(info.exits);
    let cost = 0;
    for (const exit of result.exit) {
      perExit[exit]++;
      cost += info.baseline ? costs.fullModel : costs.exits[exit]!;
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
