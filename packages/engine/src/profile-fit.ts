import {
  assertProfileMatches,
  type CalibrationProfile,
  InvalidArgumentError,
  type ModelPackage,
  modelFingerprint,
  preprocessModelInputs,
  type Tensor,
  type TensorMap,
} from '@pcee/core';

/**
 * How to make a profile for the model in `modelDir`: the hint a profile mismatch carries
 * (trace validation inputs, calibrate with the model).
 */
export function recalibrateHint(modelDir: string): string {
  return `pcee trace ${modelDir} <validation-inputs.npz> --out val.npz && pcee calibrate val.npz --model ${modelDir} --out profile.json`;
}

/** What `assertProfileFitsModel` found beyond a match. */
export interface ProfileFit {
  /**
   * False when the profile records no model id and no fingerprint (calibrated from bare
   * traces): only its exits and classes could be checked, so nothing ties it to this model.
   */
  readonly tied: boolean;
}

/**
 * The one "profile fits this model" check of `pcee run`, `pcee bench` and the server: the
 * profile must have the model's exits and classes, and, where it records them, its id and
 * weights (fingerprint).
 *
 * @param hint how to recalibrate, appended to the error (see `recalibrateHint`).
 * @throws ProfileMismatchError naming both sides and the hint.
 */
export function assertProfileFitsModel(
  profile: CalibrationProfile,
  modelPackage: ModelPackage,
  hint: string,
): ProfileFit {
  const { manifest } = modelPackage;
  assertProfileMatches(
    profile,
    {
      label: `model "${manifest.id}"`,
      exits: manifest.stages.length,
      classes: manifest.classes.length,
      id: manifest.id,
      fingerprint: modelFingerprint(manifest),
    },
    hint,
  );
  return { tied: profile.model.id !== null || profile.model.fingerprint !== null };
}

/** Raw model inputs as read from a file: arrays by name, and optional labels. */
export interface RawModelInputs {
  readonly arrays: ReadonlyMap<string, Tensor>;
  readonly samples: number;
  readonly labels?: Int32Array;
}

/** A model package with its preprocessed inputs and their labels (if given). */
export interface ModelWithInputs {
  readonly modelPackage: ModelPackage;
  /** Preprocessed model inputs by name. */
  readonly inputs: TensorMap;
  /** Number of samples. */
  readonly samples: number;
  readonly labels?: Int32Array;
}

/**
 * Preprocesses raw inputs by the model's manifest and checks the labels against its classes.
 * A shape or dtype mismatch is an `InvalidInputError` naming both, before any session exists.
 *
 * @param source the inputs' name in messages (a file path).
 * @throws InvalidArgumentError for a label outside [0, classes).
 */
export function withModelInputs(
  modelPackage: ModelPackage,
  raw: RawModelInputs,
  source: string,
): ModelWithInputs {
  const inputs = preprocessModelInputs(modelPackage.manifest, raw.arrays);
  const classes = modelPackage.manifest.classes.length;
  const outside = raw.labels?.findIndex((label) => label < 0 || label >= classes) ?? -1;
  if (outside >= 0) {
    throw new InvalidArgumentError(
      `${source}: label of sample ${outside} is ${raw.labels![outside]}, outside [0, ${classes}) for model "${modelPackage.manifest.id}"`,
    );
  }
  return { modelPackage, inputs, samples: raw.samples, labels: raw.labels };
}
