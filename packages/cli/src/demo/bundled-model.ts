import { join } from 'node:path';
import {
  type CalibrationProfile,
  calibrate,
  type ExitScores,
  type ModelPackage,
  manifestCosts,
  modelFingerprint,
  scoreExits,
} from '@pcee/core';
import { modelDir } from '@pcee/models';
import { openModelPackage } from '@pcee/runtime-node';
import { loadTraces } from '../inputs.js';
import { modelReportFrom } from '../report/load-model-report.js';
import type { ModelReport } from '../report/report-data.js';
import { UserError } from '../user-error.js';

/** A bundled model calibrated on its validation traces and evaluated on its test traces. */
export interface CalibratedModel {
  readonly folder: string;
  readonly modelPackage: ModelPackage;
  readonly profile: CalibrationProfile;
  /** Scores of the test traces (every head on every test image). */
  readonly testScores: ExitScores;
  readonly report: ModelReport;
}

/**
 * Calibrates a model of `@pcee/models` exactly as a user would with
 * `pcee calibrate val.npz --model <dir>` and assembles its report from `test.npz`.
 */
export async function calibrateBundledModel(id: string): Promise<CalibratedModel> {
  let folder: string;
  try {
    folder = modelDir(id);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  const modelPackage = await openModelPackage(folder);
  const { manifest } = modelPackage;
  const validation = await loadTraces(join(folder, 'val.npz'));
  const profile = calibrate(validation, {
    costs: manifestCosts(manifest),
    model: { id: manifest.id, fingerprint: modelFingerprint(manifest) },
  });
  const test = await loadTraces(join(folder, 'test.npz'));
  const report = await modelReportFrom(profile, test, 'test.npz', folder);
  return { folder, modelPackage, profile, testScores: scoreExits(test, profile.confidence), report };
}
