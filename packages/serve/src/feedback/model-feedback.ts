import { createHash } from 'node:crypto';
import { AccuracyMonitor, type CalibrationProfile, serializeProfile, summarizeDiagram } from '@pcee/core';
import type { ServeMetrics } from '../metrics/serve-metrics.js';
import type { ServingPolicy } from '../models/serving-policy.js';
import { FeedbackStore, type ServedAnswers } from './feedback-store.js';
import { LiveReliability } from './live-reliability.js';

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
  /** Called once when the monitor finds evidence that accuracy fell below the target. */
  readonly onViolation?: (status: ActiveMonitorStatus) => void;
}

/** The monitor's state when it runs. */
export type ActiveMonitorStatus = Exclude<MonitorStatus, { readonly state: 'off' }>;

/** The accuracy monitor's state as the server reports it. */
export type MonitorStatus =
  | { readonly state: 'off' }
  | {
      readonly state: 'ok' | 'violated';
      readonly targetAccuracy: number;
      readonly risk: number;
      /** Labelled answered samples tested (abstentions are not answers). */
      readonly samples: number;
      /** Their accuracy; null before the first. */
      readonly accuracy: number | null;
      /** ln of the betting wealth, and ln(1/α) where it fires. */
      readonly logWealth: number;
      readonly threshold: number;
      /** Labelled answered samples at firing, or null. */
      readonly firedAt: number | null;
    };

/** The operating point `GET /v2/models/{name}/calibration` reports beside the live diagrams. */
export interface LiveOperatingPoint {
  readonly policy: string;
  readonly delta: number;
  readonly exitDeltas?: readonly number[];
  readonly abstain: boolean;
  /** sha256 (hex) of the profile the server decides with, as `pcee calibrate` serialises it. */
  readonly profileHash: string;
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
 * the samples that exited there) over the most recent labelled samples.
 */
export class ModelFeedback {
  private readonly store: FeedbackStore;
  private readonly accuracy: LiveReliability;
  private readonly profileHash: string;
  private readonly monitor: AccuracyMonitor | undefined;

  constructor(
    private readonly modelName: string,
    private readonly profile: CalibrationProfile,
    private readonly settings: FeedbackSettings,
    private readonly metrics: ServeMetrics,
  ) {
    this.store = new FeedbackStore(settings.capacity, (samples) =>
      metrics.feedbackExpired.inc({ model: modelName }, samples),
    );
    this.accuracy = new LiveReliability(
      profile.diagrams.map((diagram) => diagram.edges),
      settings.window,
    );
    this.monitor = settings.monitor && new AccuracyMonitor(settings.monitor);
    this.profileHash = createHash('sha256').update(serializeProfile(profile)).digest('hex');
  }

  /** Keeps what one request was answered, until its labels come or it expires. */
  record(id: string, answers: ServedAnswers): void {
    this.store.record(id, answers);
  }

  /**
   * Takes the true labels of request `id` (one per sample, in order) into the live diagrams.
   *
   * @returns samples labelled.
   * @throws the store's 404, 400 and 409 errors; nothing changes then.
   */
  label(id: string, labels: readonly number[]): number {
    const answers = this.store.label(id, labels, this.profile.model.classes);
    const wasViolated = this.monitor?.violated ?? false;
    for (let sample = 0; sample < labels.length; sample++) {
      const correct = answers.prediction[sample] === labels[sample];
      this.accuracy.add(answers.exit[sample]!, answers.confidence[sample]!, correct);
      // The promise is about answered samples: an abstention is no answer.
      if (answers.abstained[sample] !== 1) this.monitor?.observe(correct);
    }
    const status = this.monitorStatus();
    if (!wasViolated && status.state === 'violated') this.settings.onViolation?.(status);
    this.metrics.feedbackSamples.inc({ model: this.modelName }, labels.length);
    return labels.length;
  }

  /**
   * The live diagrams as a profile in the `pcee calibrate` format (same model, binning,
   * confidence and costs; no tuned point, since none was tuned on this data), so `pcee
   * evaluate`, `report` and `tune` read it. Each exit's diagram holds only the samples that
   * exited there: a sample's accuracy at exits it did not reach is never observed.
   */
  liveProfile(): CalibrationProfile {
    const { tuned: _tuned, calibrationData: _calibrationData, ...base } = this.profile;
    return { ...base, samples: this.accuracy.samples, diagrams: this.accuracy.diagrams() };
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
