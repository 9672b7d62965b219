import type { CalibrationProfile, ThresholdPolicyName } from '@pcee/core';
import { LabelledTraceBuffer } from './labelled-trace-buffer.js';
import { recalibrateOnWindow, type WindowRecalibration } from './recalibrate-on-window.js';

/**
 * What the server does when the accuracy monitor finds that the answered accuracy fell below
 * its target (`--on-violation`):
 * - `recalibrate`: answer from the final exit, collect labelled traces, then rebuild and
 *   re-certify the policy on them and swap it in;
 * - `abstain`: answer "abstain" until a policy with abstention is certified on the labelled
 *   traces (the selective accuracy is what it guarantees), then swap it in;
 * - `full`: answer from the final exit from then on;
 * - `alert`: metrics and a log line only.
 */
export type ViolationAction = 'recalibrate' | 'abstain' | 'full' | 'alert';

/** Every `--on-violation` value. */
export const VIOLATION_ACTIONS: readonly ViolationAction[] = ['recalibrate', 'abstain', 'full', 'alert'];

/**
 * How samples are answered now.
 * - `policy`: the profile's policy (the one served at start, or the latest recalibrated one);
 * - `final-exit`: every sample runs to the final exit and is answered there;
 * - `abstain`: every sample runs to the final exit and is answered "abstain".
 */
export type ServingMode = 'policy' | 'final-exit' | 'abstain';

/** Settings of the response. */
export interface ViolationResponseSettings {
  readonly action: ViolationAction;
  /** Labelled traces a recalibration uses (half to calibrate, half to certify), ≥ 2. */
  readonly samples: number;
  readonly policy: ThresholdPolicyName;
  readonly targetAccuracy: number;
  readonly risk: number;
  /**
   * The profile served at start: recalibrations keep its binning, confidence measure, costs
   * and model identity.
   */
  readonly profile: CalibrationProfile;
}

/** What the response does to the model it guards. */
export interface ViolationResponseHooks {
  /** Serve in `mode` from now on; with a profile, that profile and its tuned point. */
  switchTo(mode: ServingMode, profile?: CalibrationProfile): void;
  log(level: 'info' | 'warn', details: Record<string, unknown>, message: string): void;
}

/** The response's state, as `GET /calibration` and the metrics show it. */
export interface ViolationResponseStatus {
  readonly action: ViolationAction;
  readonly mode: ServingMode;
  /** Policies certified and swapped in since start. */
  readonly recalibrations: number;
  /** Labelled traces collected towards the next recalibration, of `samplesNeeded`. */
  readonly samples: number;
  readonly samplesNeeded: number;
  /**
   * True when the last attempt could not certify the target on the live window, not even by
   * running every sample to the final exit (or, with abstention, by abstaining): the target
   * is out of reach for the data served now.
   */
  readonly unreachable: boolean;
  /** The last attempt's failure, in words; null after a success or before any. */
  readonly reason: string | null;
}

/**
 * The server's answer to a fired accuracy monitor: switches the model to a safe mode, gathers
 * the labelled traces of samples served after the violation (they all run to the final exit,
 * so their logits at every exit are known), and, once `samples` of them are in, recalibrates
 * and re-certifies on them (`recalibrateOnWindow`). A failed attempt is said (log, status)
 * and retried each time `samples` more have come; the buffer slides over the latest ones.
 */
export class ViolationResponse {
  private mode: ServingMode = 'policy';
  private readonly buffer: LabelledTraceBuffer | undefined;
  private recalibrations = 0;
  private unreachable = false;
  private reason: string | null = null;
  private nextAttemptAt: number;

  constructor(
    private readonly settings: ViolationResponseSettings,
    private readonly hooks: ViolationResponseHooks,
  ) {
    const collects = settings.action === 'recalibrate' || settings.action === 'abstain';
    this.buffer = collects
      ? new LabelledTraceBuffer(
          settings.samples,
          settings.profile.model.exits,
          settings.profile.model.classes,
        )
      : undefined;
    this.nextAttemptAt = settings.samples;
  }

  /** Whether labelled traces are wanted now (only while waiting to recalibrate). */
  get collecting(): boolean {
    return this.buffer !== undefined && this.mode !== 'policy';
  }

  /**
   * The monitor fired. Serving by the policy: switch to the action's safe mode (nothing for
   * `alert`). Already answering from the final exit (the switch started a fresh monitor):
   * then even the final exit is below the target, which is said and kept as `unreachable`.
   */
  violated(): void {
    const { action } = this.settings;
    if (action === 'alert') return;
    if (this.mode === 'policy') {
      this.mode = action === 'abstain' ? 'abstain' : 'final-exit';
      this.buffer?.clear();
      this.nextAttemptAt = this.settings.samples;
      this.hooks.switchTo(this.mode);
      return;
    }
    this.unreachable = true;
    this.reason = `even the final exit's answers fall below the target accuracy ${this.settings.targetAccuracy} (anytime-valid test at risk ${this.settings.risk}): the target is out of reach for the data served now; lower --target-accuracy, serve with --on-violation abstain, or fix the inputs`;
  }

  /**
   * One labelled sample served in the safe mode, with its logits at every exit; recalibrates
   * once enough have come.
   *
   * @param trace logits `[exits, classes]` from `offset`.
   */
  addLabelledTrace(trace: Float32Array, offset: number, label: number): void {
    if (!this.collecting) return;
    const buffer = this.buffer!;
    buffer.add(trace, offset, label);
    if (buffer.added < this.nextAttemptAt) return;
    this.nextAttemptAt += this.settings.samples;
    this.attempt(buffer);
  }

  status(): ViolationResponseStatus {
    return {
      action: this.settings.action,
      mode: this.mode,
      recalibrations: this.recalibrations,
      samples: this.buffer?.size ?? 0,
      samplesNeeded: this.settings.samples,
      unreachable: this.unreachable,
      reason: this.reason,
    };
  }

  private attempt(buffer: LabelledTraceBuffer): void {
    const { settings } = this;
    const abstain = settings.action === 'abstain';
    const outcome = recalibrateOnWindow(buffer.traces(), settings.profile, {
      policy: settings.policy,
      targetAccuracy: settings.targetAccuracy,
      risk: settings.risk,
      abstain,
      seed: this.recalibrations + buffer.added,
    });
    if (!outcome.certified) {
      this.unreachable = true;
      this.reason = describeFailure(outcome, settings, abstain);
      this.hooks.log('warn', { ...outcome, action: settings.action }, this.reason);
      return;
    }
    this.unreachable = false;
    this.reason = null;
    this.recalibrations++;
    this.mode = 'policy';
    const tuned = outcome.profile.tuned!;
    this.hooks.switchTo('policy', outcome.profile);
    this.hooks.log(
      'info',
      {
        delta: tuned.delta,
        abstain: tuned.abstain,
        calibrationSamples: outcome.calibrationSamples,
        holdoutSamples: outcome.holdoutSamples,
        holdout: tuned.holdout,
      },
      `recalibrated on the ${buffer.size} latest labelled samples: δ ${tuned.delta} certified for ${abstain ? 'selective ' : ''}accuracy ≥ ${settings.targetAccuracy} (risk ${settings.risk}) on data like them; serving it now`,
    );
  }
}

function describeFailure(
  outcome: Extract<WindowRecalibration, { certified: false }>,
  settings: ViolationResponseSettings,
  abstain: boolean,
): string {
  const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
  return `cannot certify ${abstain ? 'selective ' : ''}accuracy ≥ ${settings.targetAccuracy} on the ${outcome.calibrationSamples + outcome.holdoutSamples} latest labelled samples: the final exit answers ${percent(outcome.finalExitAccuracy)} of them right and the best δ reaches ${percent(outcome.bestAccuracy)} on the holdout half; ${abstain ? 'still abstaining' : 'still answering from the final exit'}, retrying after ${settings.samples} more labels (lower --target-accuracy, or fix the inputs)`;
}
