import { createHash } from 'node:crypto';
import { AccuracyMonitor, type CalibrationProfile, serializeProfile, summarizeDiagram } from '@pcee/core';
import type { ServeMetrics } from '../metrics/serve-metrics.js';
import type { ServingPolicy } from '../models/serving-policy.js';
import { addConsistency } from './consistency.js';
import { FeedbackStore, type ServedAnswers } from './feedback-store.js';
import { LiveReliability } from './live-reliability.js';
import type { ActiveMonitorStatus, MonitorStatus } from './monitor-status.js';

/** Sizes of the label feedback loop. */
export interface FeedbackSettings {
  /** Answered samples held while their labels may still come (`--feedback-capacity`), ≥ 1. */
  readonly capacity: number;
  /** Labelled samples in the live reliability diagrams (`--window`), ≥ 1. */
  readonly window: number;
  /**
   * The accuracy the answered samples must keep, and the risk of a false alarm: turns on the
   * anytime-valid monitor (`AccuracyMonitor`) over the labelled, answered samples.
   */
  readonly monitor?: { readonly targetAccuracy: number; readonly risk: number };
}

/** What the feedback loop tells the model it watches. */
export interface FeedbackListener {
  /** The monitor found evidence that accuracy fell below the target (once per epoch). */
  violated(status: ActiveMonitorStatus): void;
  /** A labelled sample of the current epoch that ran to the final exit: its logits at every exit from `offset`. */
  labelledTrace(trace: Float32Array, offset: number, label: number): void;
}

/** The operating point `GET /v2/models/{name}/calibration` reports beside the live diagrams. */
export interface LiveOperatingPoint {
  readonly policy: string;
  readonly delta: number;
  readonly exitDeltas?: readonly number[];
  readonly abstain: boolean;
  /** sha256 (hex) of the profile the server decides with, as `pcee calibrate` serialises it. */
  readonly profileHash: string;
  /** Where the profile came from: loaded at start, or rebuilt from labelled traces while serving. */
  readonly profileSource: 'loaded' | 'recalibrated';
  /** Operating points served since start, counting from 0 (each switch starts a new window and monitor). */
  readonly epoch: number;
  /** `--window`: labelled samples the live diagrams hold at most. */
  readonly window: number;
  /** Labelled samples in the live diagrams now. */
  readonly windowSamples: number;
  /** Answered samples waiting for labels now, and the store's capacity. */
  readonly feedbackHeld: number;
  readonly feedbackCapacity: number;
  readonly monitor: MonitorStatus;
}

/**
 * One model's label feedback loop: answers wait in a bounded store under their request id;
 * labels that come back feed live reliability diagrams (the accuracy, per exit and bin, of
 * the samples that exited there) over the most recent labelled samples, and the accuracy
 * monitor. Traced samples (audited, or served in a safe mode) also feed a label-free
 * consistency diagram (agreement of each exit with the final one).
 *
 * Each change of operating point starts an epoch (`restart`): a new window, consistency
 * diagram and monitor, since the old ones describe decisions no longer made. Labels of
 * answers from an earlier epoch are counted but feed nothing.
 */
export class ModelFeedback {
  private readonly store: FeedbackStore;
  private profile: CalibrationProfile;
  private profileSource: 'loaded' | 'recalibrated' = 'loaded';
  private accuracy!: LiveReliability;
  private consistency!: LiveReliability;
  private profileHash!: string;
  private monitor: AccuracyMonitor | undefined;
  private epochValue = -1;
  private listener: FeedbackListener | undefined;

  constructor(
    private readonly modelName: string,
    profile: CalibrationProfile,
    private readonly settings: FeedbackSettings,
    private readonly metrics: ServeMetrics,
  ) {
    this.store = new FeedbackStore(settings.capacity, (samples) =>
      metrics.feedbackExpired.inc({ model: modelName }, samples),
    );
    this.profile = profile;
    this.restart();
  }

  /** The current operating point's epoch: answers record it, labels of other epochs feed nothing. */
  get epoch(): number {
    return this.epochValue;
  }

  /** Tells `listener` of violations and of labelled traces. */
  listen(listener: FeedbackListener): void {
    this.listener = listener;
  }

  /**
   * Starts a new epoch, after the model changed how it answers: fresh live diagrams and
   * monitor, and, with a recalibrated `profile`, that profile's edges and hash.
   */
  restart(profile?: CalibrationProfile): void {
    if (profile) {
      this.profile = profile;
      this.profileSource = 'recalibrated';
    }
    const edges = this.profile.diagrams.map((diagram) => diagram.edges);
    this.accuracy = new LiveReliability(edges, this.settings.window);
    // An audited sample adds one observation per exit before the last: keep the latest `window` samples.
    this.consistency = new LiveReliability(edges, this.settings.window * Math.max(1, edges.length - 1));
    this.monitor = this.settings.monitor && new AccuracyMonitor(this.settings.monitor);
    this.profileHash = createHash('sha256').update(serializeProfile(this.profile)).digest('hex');
    this.epochValue++;
  }

  /** Keeps what one request was answered, until its labels come or it expires; traced samples feed the consistency diagram now. */
  record(id: string, answers: ServedAnswers): void {
    this.store.record(id, answers);
    if (answers.trace && answers.traced && answers.epoch === this.epochValue) {
      const { exits, classes } = this.profile.model;
      addConsistency(
        this.consistency,
        answers.trace,
        answers.traced,
        exits,
        classes,
        this.profile.confidence,
      );
    }
  }

  /**
   * Takes the true labels of request `id` (one per sample, in order) into the live diagrams.
   *
   * @returns samples labelled.
   * @throws the store's 404, 400 and 409 errors; nothing changes then.
   */
  label(id: string, labels: readonly number[]): number {
    return this.take(this.store.label(id, labels, this.profile.model.classes), labels);
  }

  /**
   * `label` for several requests at once (one call where labels come in batches): every entry
   * is checked before any is taken, so either all count or nothing changes.
   *
   * @returns samples labelled.
   * @throws the store's 404, 400 and 409 errors naming the entry, and 400 for a repeated id.
   */
  labelAll(entries: readonly { id: string; labels: readonly number[] }[]): number {
    const all = this.store.labelAll(entries, this.profile.model.classes);
    let samples = 0;
    all.forEach((answers, index) => {
      samples += this.take(answers, entries[index]!.labels);
    });
    return samples;
  }

  /** Feeds one labelled request into the window, the monitor and the listener; returns its samples. */
  private take(answers: ServedAnswers, labels: readonly number[]): number {
    const { exits, classes } = this.profile.model;
    this.metrics.feedbackSamples.inc({ model: this.modelName }, labels.length);
    if (answers.epoch !== this.epochValue) return labels.length;
    const monitor = this.monitor;
    const wasViolated = monitor?.violated ?? false;
    for (let sample = 0; sample < labels.length; sample++) {
      // A recalibration triggered by this request's traces ends the epoch its answers belong to.
      if (answers.epoch !== this.epochValue) break;
      const correct = answers.prediction[sample] === labels[sample];
      this.accuracy.add(answers.exit[sample]!, answers.confidence[sample]!, correct);
      // The promise is about answered samples: an abstention is no answer.
      if (answers.abstained[sample] !== 1) monitor?.observe(correct);
      if (answers.traced?.[sample] === 1) {
        this.listener?.labelledTrace(answers.trace!, sample * exits * classes, labels[sample]!);
      }
    }
    // The listener may have started a new epoch (a recalibration): this monitor is then retired.
    const status = this.monitorStatus();
    if (monitor === this.monitor && !wasViolated && status.state === 'violated')
      this.listener?.violated(status);
    return labels.length;
  }

  /**
   * The live diagrams as a profile in the `pcee calibrate` format (same model, binning,
   * confidence and costs; no tuned point, since none was tuned on this data), so `pcee
   * evaluate`, `report` and `tune` read it. Each exit's diagram holds only the samples that
   * exited there: a sample's accuracy at exits it did not reach is never observed.
   */
  liveProfile(): CalibrationProfile {
    return this.windowProfile(this.accuracy);
  }

  /**
   * The audit's consistency diagrams in the same format: per exit and bin, how often that
   * exit's prediction agreed with the final exit's, over the latest traced samples (no labels needed).
   */
  consistencyProfile(): CalibrationProfile {
    const observationsPerSample = Math.max(1, this.profile.model.exits - 1);
    return this.windowProfile(this.consistency, this.consistency.samples / observationsPerSample);
  }

  private windowProfile(window: LiveReliability, samples = window.samples): CalibrationProfile {
    const { tuned: _tuned, calibrationData: _calibrationData, ...base } = this.profile;
    return { ...base, samples, diagrams: window.diagrams() };
  }

  /** Live accuracy per exit over the window (NaN where no labelled sample exited) and the window's size. */
  liveAccuracy(): { perExit: Float64Array; samples: number } {
    const perExit = Float64Array.from(this.accuracy.diagrams(), (diagram) => {
      const summary = summarizeDiagram(diagram);
      return summary.samples > 0 ? summary.accuracy : Number.NaN;
    });
    return { perExit, samples: this.accuracy.samples };
  }

  /** The operating point in force and the loop's sizes. */
  operatingPoint(serving: ServingPolicy): LiveOperatingPoint {
    return {
      policy: serving.policy,
      delta: serving.delta,
      ...(serving.exitDeltas ? { exitDeltas: serving.exitDeltas } : {}),
      abstain: serving.abstain,
      profileHash: this.profileHash,
      profileSource: this.profileSource,
      epoch: this.epochValue,
      window: this.settings.window,
      windowSamples: this.accuracy.samples,
      feedbackHeld: this.store.size,
      feedbackCapacity: this.store.capacity,
      monitor: this.monitorStatus(),
    };
  }

  /** The accuracy monitor's state: off without a target. */
  monitorStatus(): MonitorStatus {
    if (!this.monitor) return { state: 'off' };
    const state = this.monitor.state();
    return {
      state: state.violated ? 'violated' : 'ok',
      targetAccuracy: this.monitor.targetAccuracy,
      risk: this.monitor.risk,
      samples: state.samples,
      accuracy: state.samples > 0 ? state.accuracy : null,
      logWealth: state.logWealth,
      threshold: state.threshold,
      firedAt: state.firedAt,
    };
  }
}
