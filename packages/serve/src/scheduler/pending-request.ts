import type { CompiledPolicy, ConfidenceMeasure } from '@pcee/core';

/** Per-sample results of one request, parallel arrays indexed by the request's sample. */
export interface ScheduledResult {
  /** Predicted class at the exit taken. */
  readonly prediction: Int32Array;
  /** Exit taken, 0-based (the baseline reports L−1). */
  readonly exit: Int32Array;
  /** Confidence at the exit taken, in [0, 1]. */
  readonly confidence: Float64Array;
  /** Validation accuracy of the sample's bin at the exit taken; NaN where the bin was empty. */
  readonly estimatedAccuracy: Float64Array;
  /** 1 where the sample is answered "abstain" (with abstention on); its prediction is still the last exit's. */
  readonly abstained: Uint8Array;
  /** Confidence at the first stage's exit (every sample runs it), for the drift monitor. */
  readonly firstConfidence: Float64Array;
  /** Logits `[samples, classes]` at the exit taken, when asked for. */
  readonly logits?: Float32Array;
  /**
   * Logits `[samples, exits, classes]` at every exit, for the samples `RequestPolicy.trace`
   * marks (zeros elsewhere): those samples ran to the final exit whatever their answer.
   */
  readonly trace?: Float32Array;
  /** `RequestPolicy.trace`: 1 for the samples that ran to the final exit. */
  readonly traced?: Uint8Array;
}

/** How one request is decided. */
export interface RequestPolicy {
  readonly policy: CompiledPolicy;
  readonly measure: ConfidenceMeasure;
  /** Keep each sample's logits at its exit. */
  readonly wantLogits: boolean;
  /** Mark samples that reach the last exit in an interval below δ (`policy.lastExitAnswers`) as abstained. */
  readonly abstain?: boolean;
  /**
   * 1 for samples that run to the final exit whatever the policy decides (audit sampling,
   * or recording traces to recalibrate on): they are still answered where the policy exits,
   * and their logits at every exit land in `ScheduledResult.trace`.
   */
  readonly trace?: Uint8Array;
}

/**
 * One admitted request while its samples travel through the stages: the result arrays fill
 * in as samples exit, and the promise settles once all have (or on timeout or failure).
 */
export class PendingRequest {
  readonly result: ScheduledResult;
  readonly promise: Promise<ScheduledResult>;
  /** Samples not yet exited. */
  remaining: number;
  /** True once resolved or rejected: later work for it is dropped. */
  settled = false;
  /** 1 for samples already answered (a traced sample is answered before it stops running). */
  readonly answered: Uint8Array;
  private resolvePromise!: (result: ScheduledResult) => void;
  private rejectPromise!: (error: unknown) => void;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly samples: number,
    readonly decision: RequestPolicy,
    classes: number,
    /** Exits of the model (the trace holds logits at each). */
    readonly exits: number,
  ) {
    this.remaining = samples;
    this.answered = new Uint8Array(samples);
    this.result = {
      prediction: new Int32Array(samples),
      exit: new Int32Array(samples),
      confidence: new Float64Array(samples),
      estimatedAccuracy: new Float64Array(samples),
      abstained: new Uint8Array(samples),
      firstConfidence: new Float64Array(samples),
      ...(decision.wantLogits ? { logits: new Float32Array(samples * classes) } : {}),
      ...(decision.trace
        ? { trace: new Float32Array(samples * exits * classes), traced: decision.trace }
        : {}),
    };
    this.promise = new Promise((resolve, reject) => {
      this.resolvePromise = resolve;
      this.rejectPromise = reject;
    });
  }

  /** Rejects with `error()` after `milliseconds` unless settled first, then calls `expired`. */
  expireAfter(milliseconds: number, error: () => unknown, expired: () => void): void {
    this.timer = setTimeout(() => {
      this.fail(error());
      expired();
    }, milliseconds);
  }

  /** Counts one exited sample; resolves when it was the last. */
  sampleDone(): void {
    this.remaining--;
    if (this.remaining === 0 && !this.settled) {
      this.settled = true;
      clearTimeout(this.timer);
      this.resolvePromise(this.result);
    }
  }

  /** Rejects (once); the scheduler drops the request's samples still queued. */
  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.rejectPromise(error);
  }
}
