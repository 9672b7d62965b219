import {
  assertProfileMatches,
  type CalibrationProfile,
  InvalidArgumentError,
  type ModelManifest,
  manifestCosts,
  ProfileMismatchError,
  scoreExits,
  type Traces,
  tracesContentHash,
} from '@pcee/core';
import type { ComparedModel } from './model-comparison.js';
import { assembleModelReport, type ModelDetails } from './report-data.js';

/** Validation traces with the name errors call them by. */
export interface NamedTraces {
  readonly traces: Traces;
  readonly name: string;
}

/** Options of `modelReportFrom`. */
export interface ModelReportOptions {
  /**
   * The model's manifest (model.json), already checked against the profile by the caller:
   * its id, description and class names, and its FLOP costs.
   */
  readonly manifest?: ModelManifest;
  /** Validation traces of the same model: where a comparison chooses δ. */
  readonly validation?: NamedTraces;
  /**
   * SHA-256 used to tell validation traces from the test traces (`tracesContentHash`);
   * @pcee/core's portable one when omitted. Node callers pass a native one for speed.
   */
  readonly sha256?: (bytes: Uint8Array) => Uint8Array;
}

/**
 * Builds a model's report from a profile and test traces in memory (a file loader, the demo
 * or a browser that traced the model itself), with the scores a comparison needs.
 *
 * @throws ProfileMismatchError when the profile was calibrated for traces of another shape,
 *   or the validation traces are of another model.
 * @throws InvalidArgumentError when the validation traces are the test traces.
 */
export function modelReportFrom(
  profile: CalibrationProfile,
  traces: Traces,
  tracesName: string,
  options: ModelReportOptions = {},
): ComparedModel {
  const { manifest, validation, sha256 } = options;
  // δ measured on the data it was chosen on would flatter the larger model.
  if (validation && tracesContentHash(validation.traces, sha256) === tracesContentHash(traces, sha256)) {
    throw new InvalidArgumentError(
      `validation traces ${validation.name} hold the same samples as test traces ${tracesName}: δ must be chosen on other data than it is measured on; pass the traces the profile was calibrated on (e.g. val.npz)`,
    );
  }
  assertProfileMatches(profile, {
    label: `traces "${tracesName}"`,
    exits: traces.exits,
    classes: traces.classes,
  });
  if (validation) assertValidationFits(profile, validation);
  let details: ModelDetails = {};
  let withCosts = profile;
  if (manifest !== undefined) {
    details = { modelId: manifest.id, description: manifest.description, classNames: manifest.classes };
    // A profile calibrated from bare traces counts depth; the package knows the real FLOPs.
    // Measured costs (ms) are kept: the report then plans in what the user pays.
    if (profile.costs.unit !== 'flops' && profile.costs.unit !== 'ms') {
      withCosts = { ...profile, costs: manifestCosts(manifest) };
    }
  }
  const testScores = scoreExits(traces, profile.confidence);
  const report = assembleModelReport(
    withCosts,
    testScores,
    tracesName.replace(/\.(npz|safetensors)$/, ''),
    details,
  );
  return {
    report,
    profile: withCosts,
    testScores,
    validationScores: validation ? scoreExits(validation.traces, profile.confidence) : null,
  };
}

/** Validation traces must be of the profile's model: same exits and classes. */
function assertValidationFits(profile: CalibrationProfile, validation: NamedTraces): void {
  const { exits, classes, id } = profile.model;
  const { traces, name } = validation;
  if (traces.exits === exits && traces.classes === classes) return;
  throw new ProfileMismatchError(
    `validation traces ${name} have ${traces.exits} exits and ${traces.classes} classes but the profile${id ? ` of "${id}"` : ''} has ${exits} exits and ${classes} classes: pass validation traces of the same model (e.g. the val.npz it was calibrated on)`,
  );
}
