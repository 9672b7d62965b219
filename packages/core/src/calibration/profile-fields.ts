import { z } from 'zod';
import { InvalidProfileError } from '../errors/index.js';
import type { CalibrationProfile } from './calibration-profile.js';
import type { CalibrationData } from './content-hash.js';
import type { TunedOperatingPoint } from './tuned-point.js';

/**
 * The optional profile fields of tuning (`calibrationData`, `tuned`): their JSON schemas
 * and how they are written. Optional, so profiles without them stay version 1 and older
 * readers simply ignore them.
 */

const unit = z.number().min(0).max(1);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const hash = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');

/** Schema of `calibrationData`. */
export const calibrationDataSchema = z.object({
  contentHash: hash,
  samples: z.number().int().nonnegative(),
});

/** Schema of `tuned`. */
export const tunedSchema = z.object({
  policy: z.enum(['pcee', 'pcee-ws', 'confidence']),
  delta: unit.nullable(),
  exitDeltas: z.array(unit).optional(),
  abstain: z.boolean(),
  holdout: z.object({
    accuracy: unit,
    meanCost: finite,
    relativeCost: finite,
    coverage: unit.optional(),
    selectiveAccuracy: unit.nullable().optional(),
    samples: z.number().int().positive(),
    contentHash: hash.nullable(),
  }),
  guarantee: z
    .object({
      targetAccuracy: z.number().gt(0).max(1),
      risk: z.number().gt(0).lt(1),
      method: z.string(),
    })
    .nullable(),
  budget: z
    .object({ maxMeanCost: finite, maxRelativeCost: finite, batch: z.number().int().positive().optional() })
    .optional(),
});

/** The optional tuning fields of a profile, as JSON keys to spread into its serialised form. */
export function tuningFieldsJson(profile: CalibrationProfile): {
  calibrationData?: CalibrationData;
  tuned?: TunedOperatingPoint;
} {
  return {
    ...(profile.calibrationData ? { calibrationData: profile.calibrationData } : {}),
    ...(profile.tuned ? { tuned: profile.tuned } : {}),
  };
}

/**
 * The optional tuning fields of parsed profile JSON, as profile properties.
 *
 * @throws InvalidProfileError when `tuned` has per-exit thresholds for another number of exits
 *   or neither a δ nor per-exit thresholds.
 */
export function tuningFieldsFrom(
  data: {
    calibrationData?: z.infer<typeof calibrationDataSchema>;
    tuned?: z.infer<typeof tunedSchema>;
  },
  exits: number,
  source: string,
): { calibrationData?: CalibrationData; tuned?: TunedOperatingPoint } {
  const { tuned } = data;
  if (tuned?.exitDeltas && tuned.exitDeltas.length !== exits) {
    throw new InvalidProfileError(
      `${source}: tuned.exitDeltas has ${tuned.exitDeltas.length} thresholds for ${exits} exits; tune again: pcee tune`,
    );
  }
  if (tuned && tuned.delta === null && !tuned.exitDeltas) {
    throw new InvalidProfileError(`${source}: tuned has neither delta nor exitDeltas; tune again: pcee tune`);
  }
  return {
    ...(data.calibrationData ? { calibrationData: data.calibrationData } : {}),
    ...(data.tuned ? { tuned: data.tuned as TunedOperatingPoint } : {}),
  };
}
