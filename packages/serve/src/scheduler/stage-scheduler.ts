import { decideBatch, InvalidArgumentError, now } from '@pcee/core';
import {
  atCapacity,
  type OverloadedError,
  type ServeError,
  shuttingDown,
  UnavailableError,
} from '../errors/serve-error.js';
import { PendingRequest, type RequestPolicy, type ScheduledResult } from './pending-request.js';
import type { StagePipeline } from './stage-pipeline.js';
import { type Chunk, StageQueue } from './stage-queue.js';

/**
 * How batches form.
 * - `per-stage`: every stage has its own queue; samples that continue from different
 *   requests join the next stage's batch.
 * - `first-stage`: requests are batched at stage 0 only; a batch then runs through the later
 *   stages on its own, shrinking as samples exit (what `runEarlyExit` does offline).
 */
export type BatchingMode = 'per-stage' | 'first-stage';

/** Limits and batching settings of one model's scheduler. */
export interface SchedulerOptions {
  /** Most samples in one stage run, ≥ 1. */
  readonly maxBatch: number;
  /** Longest a queued sample waits for its batch to fill before the stage runs anyway, ms, ≥ 0. */
  readonly maxDelayMs: number;
  /** Most samples held (queued or running, all stages), ≥ `maxBatch`; more is answered 429. */
  readonly maxQueue: number;
  /** Longest a request waits for its results, ms; then it is answered 503. */
  readonly timeoutMs: number;
  /**
   * Default `first-stage`: measured faster with a lower p99 than `per-stage` on CPU for every
   * bundled model (onnxruntime's per-sample cost barely falls with batch size there, so
   * refilling deep stages saves little while the extra queueing adds latency); see the serve
   * benchmark in the docs.
   */
  readonly batching?: BatchingMode;
}

/** Called after every stage run, for metrics. */
export type BatchObserver = (stage: number, rows: number, milliseconds: number) => void;

/**
 * Per-stage dynamic batching over one model. A stage runs when its queue holds `maxBatch`
 * samples, when its oldest sample has waited `maxDelayMs`, or (after stage 0) when no earlier
 * stage holds samples that could still join it. One stage runs at a time (onnxruntime-node
 * runs on the main thread and uses every core itself), the deepest ready stage first: it
 * holds the oldest samples, and finishing them frees capacity soonest.
 *
 * Every sample is decided with its request's policy by core's `decideBatch`, the step
 * `runEarlyExit` uses, so results do not depend on how samples were batched.
 */
export class StageScheduler<Carried> {
  private readonly queues: StageQueue<Carried>[];
  private readonly batching: BatchingMode;
  private held = 0;
  private running = false;
  private closing = false;
  private wakeTimer: ReturnType<typeof setTimeout> | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly pipeline: StagePipeline<Carried>,
    private readonly options: SchedulerOptions,
    private readonly observe: BatchObserver = () => {},
  ) {
    checkOptions(options);
    this.batching = options.batching ?? 'first-stage';
    const rowsOf = (chunk: Chunk<Carried>) => chunk.samples.length;
    this.queues = Array.from(
      { length: pipeline.stages },
      () => new StageQueue<Carried>(rowsOf, (chunk) => this.release(chunk.samples.length)),
    );
  }

  /** Samples held now: queued at any stage or in the running batch. */
  get inFlight(): number {
    return this.held;
  }

  /** Samples in `input` (its batch dimension). */
  rows(input: Carried): number {
    return this.pipeline.rows(input);
  }

  /** Samples queued at `stage` (including those of requests that already timed out). */
  queueDepth(stage: number): number {
    return this.queues[stage]!.rows;
  }

  /**
   * Throws the 503 or 429 that `submit` would for a request of `samples` now (draining, or
   * they do not fit): lets the server refuse before reading or validating a body it would
   * drop anyway.
   */
  assertAccepting(samples = 1): void {
    if (this.closing) {
      throw shuttingDown();
    }
    if (this.held + samples > this.options.maxQueue) throw this.overloaded();
  }

  /**
   * Admits a request: `input` holds its samples as stage 0 takes them. Resolves once every
   * sample has exited.
   *
   * @throws UnavailableError (503) while shutting down; rejects with it on timeout.
   * @throws OverloadedError (429) when admitting it would hold more than `maxQueue` samples.
   */
  submit(input: Carried, decision: RequestPolicy): Promise<ScheduledResult> {
    if (this.closing) {
      throw shuttingDown();
    }
    const rows = this.pipeline.rows(input);
    if (this.held + rows > this.options.maxQueue) throw this.overloaded();
    this.held += rows;
    const exits = this.pipeline.exitOfStage[this.pipeline.stages - 1]! + 1;
    if (decision.trace && decision.trace.length !== rows) {
      throw new InvalidArgumentError(
        `trace flags cover ${decision.trace.length} samples, the request has ${rows}`,
      );
    }
    const request = new PendingRequest(rows, decision, this.pipeline.classes, exits);
    const { timeoutMs } = this.options;
    request.expireAfter(
      timeoutMs,
      () =>
        new UnavailableError(
          `the request waited ${timeoutMs} ms for compute and timed out (the server's timeoutMs); retry later or send fewer samples`,
          1,
          { settings: ['timeoutMs'] },
        ),
      // Its queued samples stop counting against --max-queue now, not when their turn comes.
      () => {
        for (const queue of this.queues) queue.purgeSettled();
      },
    );
    const samples = Int32Array.from({ length: rows }, (_, index) => index);
    this.queues[0]!.push({ request, samples, carried: input, enqueuedAt: now() });
    this.pump();
    return request.promise;
  }

  private overloaded(): OverloadedError {
    return atCapacity(this.held, this.options.maxQueue);
  }

  /** Refuses new requests from now on (503); requests already admitted still complete. */
  stopAccepting(): void {
    this.closing = true;
  }

  /** Resolves once no sample is held (every admitted request has been answered and its work dropped). */
  idle(): Promise<void> {
    if (this.held === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Fails every queued request with `error` and stops the wake-up timer. */
  abort(error: ServeError): void {
    this.closing = true;
    clearTimeout(this.wakeTimer);
    for (const queue of this.queues) {
      for (const chunk of queue.clear()) {
        chunk.request.fail(error);
        this.release(chunk.samples.length);
      }
    }
  }

  /** Runs the next ready stage, or sets a timer for when one will be ready. */
  private pump(): void {
    if (this.running) return;
    const time = now();
    let chosen = -1;
    let wake = Number.POSITIVE_INFINITY;
    let upstreamEmpty = true;
    const ready: boolean[] = [];
    // Which stages are ready, shallow to deep (a deep stage is ready early when nothing
    // upstream can still refill it), then the deepest ready one runs.
    for (let stage = 0; stage < this.queues.length; stage++) {
      const queue = this.queues[stage]!;
      const oldest = queue.oldest();
      if (oldest === undefined) {
        ready.push(false);
        continue;
      }
      const isReady =
        queue.rows >= this.options.maxBatch ||
        time - oldest >= this.options.maxDelayMs ||
        (stage > 0 && upstreamEmpty);
      ready.push(isReady);
      if (!isReady) wake = Math.min(wake, oldest + this.options.maxDelayMs);
      upstreamEmpty = false;
    }
    for (let stage = ready.length - 1; stage >= 0; stage--) {
      if (ready[stage]) {
        chosen = stage;
        break;
      }
    }
    if (chosen < 0) {
      this.scheduleWake(wake, time);
      return;
    }
    const chunks = this.queues[chosen]!.take(
      this.options.maxBatch,
      (chunk) => this.pipeline.shapeKey(chunk.carried),
      (chunk, rows) => this.split(chunk, rows),
    );
    if (chunks.length === 0) {
      queueMicrotask(() => this.pump());
      return;
    }
    this.running = true;
    this.runFrom(chosen, chunks).finally(() => {
      this.running = false;
      this.pump();
    });
  }

  private scheduleWake(at: number, time: number): void {
    if (!Number.isFinite(at)) return;
    if (this.wakeTimer !== undefined && this.wakeAt <= at) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, Math.ceil(at - time)),
    );
  }

  /**
   * Runs `stage` on the chunks; continuing samples go to the next queue, or straight on in
   * `first-stage` mode. A batch whose continuing samples are all answered already (traced
   * samples running on for the audit) is queued even then: tails of several batches then share
   * the deep stages' runs instead of each paying every stage's fixed cost for a sample or two.
   */
  private async runFrom(stage: number, chunks: Chunk<Carried>[]): Promise<void> {
    let current = chunks;
    for (let index = stage; current.length > 0 && index < this.pipeline.stages; index++) {
      current = await this.runStage(index, current);
      if (this.batching === 'per-stage' || current.every(answeredAlready)) {
        for (const chunk of current) this.queues[index + 1]!.push(chunk);
        return;
      }
    }
  }

  /** One stage run: decide every row, resolve finished samples, and return the chunks that continue. */
  private async runStage(stage: number, chunks: Chunk<Carried>[]): Promise<Chunk<Carried>[]> {
    const live = chunks.filter((chunk) => {
      if (!chunk.request.settled) return true;
      this.release(chunk.samples.length);
      return false;
    });
    if (live.length === 0) return [];
    const { pipeline } = this;
    const input = live.length === 1 ? live[0]!.carried : pipeline.concat(live.map((chunk) => chunk.carried));
    const started = now();
    let output: Awaited<ReturnType<StagePipeline<Carried>['run']>>;
    try {
      output = await pipeline.run(stage, input);
    } catch (error) {
      for (const chunk of live) {
        chunk.request.fail(error);
        this.release(chunk.samples.length);
      }
      return [];
    }
    const rows = pipeline.rows(input);
    this.observe(stage, rows, now() - started);
    const { classes } = pipeline;
    const exit = pipeline.exitOfStage[stage]!;
    const isLast = stage === pipeline.stages - 1;
    const arrived = now();
    const next: Chunk<Carried>[] = [];
    const keep = new Int32Array(rows);
    let offset = 0;
    for (const chunk of live) {
      const { request, samples } = chunk;
      const chunkRows = samples.length;
      if (request.settled) {
        this.release(chunkRows);
        offset += chunkRows;
        continue;
      }
      const { policy, measure } = request.decision;
      const table = policy.tables[exit]!;
      // The same abstention table `runEarlyExit` reads (absent in hand-built policies: no abstaining).
      const answers = isLast && request.decision.abstain ? policy.lastExitAnswers : undefined;
      const { result } = request;
      // The decision step core's runner uses, on this chunk's rows of the batch logits.
      const decided = decideBatch(
        output.logits.subarray(offset * classes, (offset + chunkRows) * classes),
        chunkRows,
        classes,
        table,
        measure,
        isLast,
      );
      const { trace } = request.decision;
      // A view of one row's logits, made only where it is copied (not on every row of the hot loop).
      const rowLogits = (batchRow: number) =>
        output.logits.subarray(batchRow * classes, (batchRow + 1) * classes);
      let kept = 0;
      for (let row = 0; row < chunkRows; row++) {
        const sample = samples[row]!;
        const batchRow = offset + row;
        if (stage === 0) result.firstConfidence[sample] = decided.confidence[row]!;
        const traced = trace?.[sample] === 1;
        if (traced) result.trace!.set(rowLogits(batchRow), (sample * request.exits + exit) * classes);
        if (decided.exits[row] === 1 && request.answered[sample] === 0) {
          request.answered[sample] = 1;
          result.prediction[sample] = decided.prediction[row]!;
          result.exit[sample] = exit;
          result.confidence[sample] = decided.confidence[row]!;
          result.estimatedAccuracy[sample] = decided.estimatedAccuracy[row]!;
          if (answers && answers[decided.interval[row]!] !== 1) result.abstained[sample] = 1;
          result.logits?.set(rowLogits(batchRow), sample * classes);
        }
        // A traced sample runs on to the final exit after its answer.
        if (isLast || (decided.exits[row] === 1 && !traced)) {
          this.held--;
          request.sampleDone();
        } else {
          keep[kept++] = batchRow;
        }
      }
      if (kept > 0 && !output.next) {
        request.fail(new Error(`stage ${stage} returned nothing for stage ${stage + 1} to run on`));
        this.release(kept);
      } else if (kept > 0 && output.next) {
        // A chunk that continues whole and sits contiguously in the batch is a view, not a copy.
        const carried =
          kept === chunkRows
            ? pipeline.slice(output.next, offset, offset + chunkRows)
            : pipeline.gather(output.next, keep, kept);
        const continuing = new Int32Array(kept);
        for (let index = 0; index < kept; index++) continuing[index] = samples[keep[index]! - offset]!;
        next.push({ request, samples: continuing, carried, enqueuedAt: arrived });
      }
      offset += chunkRows;
    }
    this.notifyIdle();
    return next;
  }

  private split(chunk: Chunk<Carried>, rows: number): [Chunk<Carried>, Chunk<Carried>] {
    const total = chunk.samples.length;
    return [
      {
        ...chunk,
        samples: chunk.samples.subarray(0, rows),
        carried: this.pipeline.slice(chunk.carried, 0, rows),
      },
      {
        ...chunk,
        samples: chunk.samples.subarray(rows),
        carried: this.pipeline.slice(chunk.carried, rows, total),
      },
    ];
  }

  private release(rows: number): void {
    this.held -= rows;
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.held !== 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Whether every sample of the chunk has its answer already (it only runs on to be traced). */
function answeredAlready<Carried>(chunk: Chunk<Carried>): boolean {
  return chunk.samples.every((sample) => chunk.request.answered[sample] === 1);
}

function checkOptions(options: SchedulerOptions): void {
  const { maxBatch, maxDelayMs, maxQueue, timeoutMs } = options;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new InvalidArgumentError(`max batch must be a positive integer, got ${maxBatch}`);
  }
  if (!(maxDelayMs >= 0 && Number.isFinite(maxDelayMs))) {
    throw new InvalidArgumentError(`max delay must be a number of ms ≥ 0, got ${maxDelayMs}`);
  }
  if (!Number.isInteger(maxQueue) || maxQueue < maxBatch) {
    throw new InvalidArgumentError(
      `max queue (${maxQueue}) must be an integer ≥ max batch (${maxBatch}), or no batch could fill`,
    );
  }
  if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    throw new InvalidArgumentError(`timeout must be a positive number of ms, got ${timeoutMs}`);
  }
}
