import { join } from 'node:path';
import {
  calibrate,
  type ExitScores,
  type ModelPackage,
  manifestCosts,
  modelFingerprint,
  scoreExits,
} from '@pcee/core';
import { modelDir } from '@pcee/models';
import { type ComparedModel, modelReportFrom } from '@pcee/report/data';
import { openModelPackage } from '@pcee/runtime-node';
import { loadTraces } from '../inputs.js';
import { UserError } from '../user-error.js';

/** A bundled model calibrated on its validation traces and evaluated on its test traces. */
export interface CalibratedModel extends ComparedModel {
  readonly folder: string;
  readonly modelPackage: ModelPackage;
  /** Scores of the validation traces it was calibrated on: where a comparison chooses δ. */
  readonly validationScores: ExitScores;
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
  const validationScores = scoreExits(validation);
  const profile = calibrate(validation, {
    costs: manifestCosts(manifest),
    model: { id: manifest.id, fingerprint: modelFingerprint(manifest) },
    scores: validationScores,
  });
  const test = await loadTraces(join(folder, 'test.npz'));
  const compared = modelReportFrom(profile, test, 'test.npz', { manifest });
  return { ...compared, folder, modelPackage, validationScores };
}
