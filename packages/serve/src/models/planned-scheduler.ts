import type { FusionPlan } from '@pcee/core';
import { atCapacity, shuttingDown } from '../errors/serve-error.js';
import type { RequestPolicy, ScheduledResult } from '../scheduler/pending-request.js';
import type { StagePipeline } from '../scheduler/stage-pipeline.js';
import { type BatchObserver, type SchedulerOptions, StageScheduler } from '../scheduler/stage-scheduler.js';

/** What a served model needs from its scheduler (a `StageScheduler`, or one per fusion plan). */
export interface ModelScheduler<Carried> {
  /** Samples held now, queued or running, all plans together. */
  readonly inFlight: number;
  rows(input: Carried): number;
  /** Samples queued in front of original stage `stage` (for a fused stage: its first original stage). */
  queueDepth(stage: number): number;
  assertAccepting(samples?: number): void;
  /** Admits a request on `plan` (default: every exit live, stage by stage). */
  submit(input: Carried, decision: RequestPolicy, plan?: FusionPlan): Promise<ScheduledResult>;
  /** Loads a plan ahead of its first request (where plans exist). */
  prepare?(plan: FusionPlan): Promise<void>;
  stopAccepting(): void;
  idle(): Promise<void>;
  abort(error: Parameters<StageScheduler<Carried>['abort']>[0]): void;
}

interface PlanScheduler<Carried> {
  readonly plan: FusionPlan;
  readonly scheduler: StageScheduler<Carried>;
}

/**
 * One `StageScheduler` per fusion plan, behind one admission limit: requests on the same plan
 * share its per-stage queues and batches, as before fusion; a plan's fused model is loaded
 * (`open`) on its first request. Requests that need every exit (traced, audited, safe modes)
 * run on the all-exits plan, the model as shipped.
 */
export class PlannedScheduler<Carried> implements ModelScheduler<Carried> {
  private readonly loading = new Map<string, Promise<PlanScheduler<Carried>>>();
  private readonly ready = new Map<string, PlanScheduler<Carried>>();
  /** Samples admitted whose plan's model is still loading. */
  private waiting = 0;
  private closing = false;

  /**
   * @param open the pipeline of a plan (the fused model loaded).
   * @param allExits the plan with every exit live.
   * @param rowsOf samples in a batch (the same for every plan).
   */
  constructor(
    private readonly open: (plan: FusionPlan) => Promise<StagePipeline<Carried>>,
    private readonly allExits: FusionPlan,
    private readonly rowsOf: (input: Carried) => number,
    private readonly options: SchedulerOptions,
    private readonly observe: BatchObserver = () => {},
  ) {}

  get inFlight(): number {
    let held = this.waiting;
    for (const { scheduler } of this.ready.values()) held += scheduler.inFlight;
    return held;
  }

  rows(input: Carried): number {
    return this.rowsOf(input);
  }

  queueDepth(stage: number): number {
    let depth = 0;
    for (const { plan, scheduler } of this.ready.values()) {
      const fused = plan.groups.findIndex((group) => group[0] === stage);
      if (fused >= 0) depth += scheduler.queueDepth(fused);
    }
    return depth;
  }

  assertAccepting(samples = 1): void {
    if (this.closing) throw shuttingDown();
    const held = this.inFlight;
    if (held + samples > this.options.maxQueue) {
      throw atCapacity(held, this.options.maxQueue);
    }
  }

  async submit(input: Carried, decision: RequestPolicy, plan = this.allExits): Promise<ScheduledResult> {
    const rows = this.rowsOf(input);
    this.assertAccepting(rows);
    const key = plan.liveExits.join(',');
    let target = this.ready.get(key);
    if (!target) {
      this.waiting += rows;
      try {
        target = await this.load(key, plan);
      } finally {
        this.waiting -= rows;
      }
    }
    const result = target.scheduler.submit(input, decision);
    // A plan loaded while the server began to drain still answers what it admitted.
    if (this.closing) target.scheduler.stopAccepting();
    return result;
  }

  /** Loads a plan's model and scheduler now (at startup), so a load error or bad option comes first. */
  async prepare(plan: FusionPlan): Promise<void> {
    await this.load(plan.liveExits.join(','), plan);
  }

  stopAccepting(): void {
    this.closing = true;
    for (const { scheduler } of this.ready.values()) scheduler.stopAccepting();
  }

  async idle(): Promise<void> {
    await Promise.allSettled([...this.loading.values()]);
    await Promise.all([...this.ready.values()].map(({ scheduler }) => scheduler.idle()));
  }

  abort(error: Parameters<StageScheduler<Carried>['abort']>[0]): void {
    this.closing = true;
    for (const { scheduler } of this.ready.values()) scheduler.abort(error);
  }

  private load(key: string, plan: FusionPlan): Promise<PlanScheduler<Carried>> {
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.open(plan).then((pipeline) => {
        // Metrics name original stages: a fused stage counts under its first one.
        const observe: BatchObserver = (stage, rows, milliseconds) =>
          this.observe(plan.groups[stage]![0]!, rows, milliseconds);
        const entry = { plan, scheduler: new StageScheduler(pipeline, this.options, observe) };
        this.ready.set(key, entry);
        return entry;
      });
      this.loading.set(key, loading);
      // A failed load is not kept: the next request tries again and reports its own error.
      loading.catch(() => this.loading.delete(key));
    }
    return loading;
  }
}
