import { basename } from 'node:path';
import type { ModelManifest } from '@pcee/core';
import { type ComparedModel, modelReportFrom, type NamedTraces } from '@pcee/report/data';
import { openModelPackage } from '@pcee/runtime-node';
import { loadProfile, loadTraces } from '../inputs.js';
import { assertProfileForModel } from '../model-options.js';
import { nativeSha256 } from '../native-hashes.js';

/** The files one model's part of a report is built from. */
export interface ModelReportFiles {
  readonly profilePath: string;
  readonly tracesPath: string;
  /** Model package folder: its id, description and class names, and its FLOP costs. */
  readonly modelDir?: string;
  /** Labelled validation traces (not the test traces): where a comparison chooses δ. */
  readonly validationPath?: string;
}

/**
 * Reads a profile, test traces, optionally validation traces and the model package, checks
 * the profile belongs to the package, and builds the model's report data with
 * `@pcee/report`'s `modelReportFrom` (which checks the traces).
 *
 * @throws ProfileMismatchError when the profile was calibrated for other traces or another model.
 * @throws InvalidArgumentError when the validation traces are the test traces.
 */
export async function loadModelReport(files: ModelReportFiles): Promise<ComparedModel> {
  const profile = await loadProfile(files.profilePath);
  const traces = await loadTraces(files.tracesPath);
  const validation: NamedTraces | undefined =
    files.validationPath === undefined
      ? undefined
      : { traces: await loadTraces(files.validationPath), name: basename(files.validationPath) };
  let manifest: ModelManifest | undefined;
  if (files.modelDir !== undefined) {
    const modelPackage = await openModelPackage(files.modelDir);
    assertProfileForModel(profile, modelPackage, files.modelDir);
    manifest = modelPackage.manifest;
  }
  return modelReportFrom(profile, traces, basename(files.tracesPath), {
    manifest,
    validation,
    sha256: nativeSha256,
  });
}
