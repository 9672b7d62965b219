// The operating point of the shift benchmarks, chosen on validation data only.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  accuracyOperatingPoint,
  calibrate,
  createTraces,
  manifestCosts,
  modelFingerprint,
  parseManifest,
  readTraces,
  scoreExits,
  serializeProfile,
  tuneForAccuracy,
} from '@pcee/core';
import { modelDir } from '@pcee/models';

/**
 * Calibrates model `id` on the first half of its val.npz and takes as target the highest whole
 * percent that Learn-then-Test certifies on the second half at `risk` (or `fixedTarget`), with
 * the δ it certifies. Writes the tuned profile to `folder` and returns it with its path.
 */
export function tuneOnValidation(id, risk, folder, fixedTarget) {
  const packageDir = modelDir(id);
  const manifest = parseManifest(readFileSync(join(packageDir, 'model.json'), 'utf8'));
  const traces = readTraces(new Uint8Array(readFileSync(join(packageDir, 'val.npz'))), 'val.npz');
  const half = traces.samples >> 1;
  const row = traces.exits * traces.classes;
  const part = (from, to) =>
    createTraces(traces.logits.slice(from * row, to * row), traces.labels.slice(from, to), {
      samples: to - from,
      exits: traces.exits,
      classes: traces.classes,
    });
  const profile = calibrate(part(0, half), {
    costs: manifestCosts(manifest),
    model: { id: manifest.id, fingerprint: modelFingerprint(manifest) },
  });
  const holdout = scoreExits(part(half, traces.samples), profile.confidence);
  const percents =
    fixedTarget === undefined ? Array.from({ length: 50 }, (_, index) => 99 - index) : [fixedTarget * 100];
  for (const percent of percents) {
    const tuning = tuneForAccuracy(holdout, profile, { targetAccuracy: percent / 100, risk });
    if (!tuning.chosen) continue;
    const tuned = { ...profile, tuned: accuracyOperatingPoint(tuning, null) };
    const profilePath = join(folder, `${id}.json`);
    writeFileSync(profilePath, serializeProfile(tuned));
    return {
      packageDir,
      profile: tuned,
      profilePath,
      target: percent / 100,
      delta: tuning.chosen.delta,
      exits: traces.exits,
    };
  }
  throw new Error(`${id}: no target ${fixedTarget ?? '≥ 0.5'} is certified on the validation holdout`);
}
