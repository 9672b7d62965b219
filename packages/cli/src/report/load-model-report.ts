import { basename } from 'node:path';
import {
  assertProfileMatches,
  type CalibrationProfile,
  manifestCosts,
  scoreExits,
  type Traces,
} from '@pcee/core';
import { openModelPackage } from '@pcee/runtime-node';
import { loadProfile, loadTraces } from '../inputs.js';
import { assertProfileForModel } from '../model-options.js';
import { assembleModelReport, type ModelDetails, type ModelReport } from './report-data.js';

/** The files one model's part of a report is built from. */
export interface ModelReportFiles {
  readonly profilePath: string;
  readonly tracesPath: string;
  /** Model package folder: its id, description and class names, and its FLOP costs. */
  readonly modelDir?: string;
}

/**
 * Reads a profile, test traces and optionally the model package, checks they belong
 * together, and assembles the model's report data.
 *
 * @throws ProfileMismatchError when the profile was calibrated for other traces or another model.
 */
export async function loadModelReport(files: ModelReportFiles): Promise<ModelReport> {
  const profile = await loadProfile(files.profilePath);
  const traces = await loadTraces(files.tracesPath);
  return modelReportFrom(profile, traces, basename(files.tracesPath), files.modelDir);
}

/** Builds a model's report from an in-memory profile and test traces (the demo calibrates in memory). */
export async function modelReportFrom(
  profile: CalibrationProfile,
  traces: Traces,
  tracesName: string,
  modelDir?: string,
): Promise<ModelReport> {
  assertProfileMatches(profile, {
    label: `traces "${tracesName}"`,
    exits: traces.exits,
    classes: traces.classes,
  });
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
  const scores = scoreExits(traces, profile.confidence);
  return assembleModelReport(withCosts, scores, tracesName.replace(/\.(npz|safetensors)$/, ''), details);
}
