import { basename } from 'node:path';
import {
  assertProfileMatches,
  type CalibrationProfile,
  manifestCosts,
  ProfileMismatchError,
  scoreExits,
  type Traces,
  tracesContentHash,
} from '@pcee/core';
import { openModelPackage } from '@pcee/runtime-node';
import { loadProfile, loadTraces } from '../inputs.js';
import { assertProfileForModel } from '../model-options.js';
import { nativeSha256 } from '../native-hashes.js';
import { UserError } from '../user-error.js';
import type { ComparedModel } from './model-comparison.js';
import { assembleModelReport, type ModelDetails } from './report-data.js';

/** The files one model's part of a report is built from. */
export interface ModelReportFiles {
  readonly profilePath: string;
  readonly tracesPath: string;
  /** Model package folder: its id, description and class names, and its FLOP costs. */
  readonly modelDir?: string;
  /** Labelled validation traces (not the test traces): where a comparison chooses δ. */
  readonly validationPath?: string;
}

/** Validation traces with the name errors call them by. */
export interface NamedTraces {
  readonly traces: Traces;
  readonly name: string;
}

/**
 * Reads a profile, test traces, optionally validation traces and the model package, checks
 * they belong together, and assembles the model's report data.
 *
 * @throws ProfileMismatchError when the profile was calibrated for other traces or another model.
 * @throws UserError when the validation traces are the test traces.
 */
export async function loadModelReport(files: ModelReportFiles): Promise<ComparedModel> {
  const profile = await loadProfile(files.profilePath);
  const traces = await loadTraces(files.tracesPath);
  const testName = basename(files.tracesPath);
  let validation: NamedTraces | undefined;
  if (files.validationPath !== undefined) {
    validation = { traces: await loadTraces(files.validationPath), name: basename(files.validationPath) };
    // δ measured on the data it was chosen on would flatter the larger model.
    if (tracesContentHash(validation.traces, nativeSha256) === tracesContentHash(traces, nativeSha256)) {
      throw new UserError(
        `validation traces ${validation.name} hold the same samples as test traces ${testName}: δ must be chosen on other data than it is measured on; pass the traces the profile was calibrated on (e.g. val.npz)`,
      );
    }
  }
  return modelReportFrom(profile, traces, testName, { modelDir: files.modelDir, validation });
}

/** Options of `modelReportFrom`. */
export interface ModelReportOptions {
  /** Model package folder: its identity and FLOP costs. */
  readonly modelDir?: string;
  /** Validation traces of the same model: where a comparison chooses δ. */
  readonly validation?: NamedTraces;
}

/**
 * Builds a model's report from an in-memory profile and test traces (the demo calibrates in
 * memory), with the scores a comparison needs.
 */
export async function modelReportFrom(
  profile: CalibrationProfile,
  traces: Traces,
  tracesName: string,
  options: ModelReportOptions = {},
): Promise<ComparedModel> {
  const { modelDir, validation } = options;
  assertProfileMatches(profile, {
    label: `traces "${tracesName}"`,
    exits: traces.exits,
    classes: traces.classes,
  });
  if (validation) assertValidationFits(profile, validation);
  let details: ModelDetails = {};
  let withCosts = profile;
  if (modelDir !== undefined) {
    const modelPackage = await openModelPackage(modelDir);
    assertProfileForModel(profile, modelPackage, modelDir);
    const { manifest } = modelPackage;
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
