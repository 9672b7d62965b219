import { ProfileMismatchError } from '../errors/index.js';
import type { CalibrationProfile } from './calibration-profile.js';

/** What a profile is checked against: traces (exits, classes) or a model (also id and fingerprint). */
export interface ProfileTarget {
  /** Human name for messages, e.g. `traces "test.npz"` or `model "fmnist-cnn-large"`. */
  readonly label: string;
  readonly exits: number;
  readonly classes: number;
  /** Model id, when the target is a model. */
  readonly id?: string;
  /** Model fingerprint, when the target is a model. */
  readonly fingerprint?: string;
}

/**
 * Throws unless the profile was calibrated for something shaped like `target`.
 *
 * @param recalibrateHint the command that fixes it, quoted in the message.
 * @throws ProfileMismatchError naming both values and the fix.
 */
export function assertProfileMatches(
  profile: CalibrationProfile,
  target: ProfileTarget,
  recalibrateHint = 'pcee calibrate <validation-traces> --out profile.json',
): void {
  const fix = `recalibrate with: ${recalibrateHint}`;
  const { model } = profile;
  const subject = model.id ? `profile (calibrated for "${model.id}")` : 'profile';
  if (model.exits !== target.exits) {
    throw new ProfileMismatchError(
      `${subject} has ${model.exits} exits but ${target.label} has ${target.exits}; ${fix}`,
    );
  }
  if (model.classes !== target.classes) {
    throw new ProfileMismatchError(
      `${subject} has ${model.classes} classes but ${target.label} has ${target.classes}; ${fix}`,
    );
  }
  if (target.id !== undefined && model.id !== null && model.id !== target.id) {
    throw new ProfileMismatchError(
      `profile was calibrated for model "${model.id}", not ${target.label}; ${fix}`,
    );
  }
  if (
    target.fingerprint !== undefined &&
    model.fingerprint !== null &&
    model.fingerprint !== target.fingerprint
  ) {
    throw new ProfileMismatchError(
      `profile was calibrated for other weights of "${model.id ?? 'this model'}" (fingerprint ${model.fingerprint.slice(0, 12)}… vs ${target.fingerprint.slice(0, 12)}…): the model files changed since calibration; ${fix}`,
    );
  }
}
