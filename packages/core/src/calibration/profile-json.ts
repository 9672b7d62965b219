import { z } from 'zod';
import { validateBatchCostModel, validateCosts } from '../cost/index.js';
import { describeSchemaIssues, hint, InvalidProfileError, PceeError, tryParseJson } from '../errors/index.js';
import { BINNING_METHODS } from './binning.js';
import { type CalibrationProfile, PROFILE_VERSION } from './calibration-profile.js';
import { CONFIDENCE_MEASURES } from './confidence.js';
import { calibrationDataSchema, tunedSchema, tuningFieldsFrom, tuningFieldsJson } from './profile-fields.js';
import { summarizeDiagram } from './reliability-diagram.js';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const count = z.number().int().nonnegative();

const exitSchema = z
  .object({
    index: z.number().int().nonnegative(),
    edges: z.array(finite.min(0).max(1)).min(1),
    count: z.array(count),
    correct: z.array(count),
    sumConfidence: z.array(finite.min(0)),
  })
  .refine((exit) => exit.count.length === exit.edges.length, 'count needs one entry per edge')
  .refine((exit) => exit.correct.length === exit.edges.length, 'correct needs one entry per edge')
  .refine((exit) => exit.sumConfidence.length === exit.edges.length, 'sumConfidence needs one entry per edge')
  .refine(
    (exit) => exit.correct.every((value, k) => value <= exit.count[k]!),
    'correct exceeds count in a bin',
  )
  .refine((exit) => exit.edges[0] === 0 && exit.edges.every((e, k) => k === 0 || e > exit.edges[k - 1]!), {
    message: 'edges must start at 0 and increase',
  });

/** Where measured (ms) costs were measured: optional, so older profiles stay readable. */
const measurementSchema = z.object({
  device: z.string().min(1),
  batch: z.number().int().positive(),
  threads: z.number().int().positive().nullable(),
  runtime: z.string(),
  runtimeVersion: z.string(),
  host: z.string().nullable(),
  repeats: z.number().int().positive(),
  fullModel: z.enum(['measured', 'estimated']),
});

/** An affine run cost, ms per run and per sample (see `fitAffineCost`). */
const affineFitSchema = z.object({
  fixed: finite.min(0),
  perSample: finite.min(0),
  residual: finite.min(0),
});

/**
 * The batch-size cost model (`costs.batchModel`): optional, added within version 1, so older
 * profiles read as before and older readers ignore it (zod drops unknown keys) and use the
 * per-exit costs, which stay the per-sample costs at the largest batch measured.
 */
const batchModelSchema = z.object({
  batches: z.array(z.number().int().positive()).min(2),
  stages: z.array(affineFitSchema),
  fullModel: affineFitSchema,
  timings: z.array(
    z.object({
      batch: z.number().int().positive(),
      stageMs: z.array(finite.min(0)),
      fullMs: finite.min(0),
    }),
  ),
});

const profileSchema = z.object({
  format: z.literal('pcee-profile'),
  version: z.literal(PROFILE_VERSION),
  model: z.object({
    id: z.string().min(1).nullable(),
    exits: z.number().int().positive(),
    classes: z.number().int().min(2),
    fingerprint: z.string().nullable(),
  }),
  confidence: z.enum(CONFIDENCE_MEASURES as [string, ...string[]]),
  binning: z.object({
    method: z.enum(BINNING_METHODS as [string, ...string[]]),
    bins: z.number().int().positive(),
  }),
  costs: z.object({
    unit: z.enum(['flops', 'ms', 'depth', 'custom']),
    exits: z.array(finite),
    fullModel: finite,
    measurement: measurementSchema.optional(),
    batchModel: batchModelSchema.optional(),
  }),
  samples: count,
  calibrationData: calibrationDataSchema.optional(),
  tuned: tunedSchema.optional(),
  exits: z.array(exitSchema),
});

/**
 * Serialises a profile to its JSON format (`pcee-profile` v1). Each exit also carries its
 * accuracy, ECE and MCE for humans; readers recompute them from the counts.
 */
export function serializeProfile(profile: CalibrationProfile): string {
  const json = {
    format: profile.format,
    version: profile.version,
    model: profile.model,
    confidence: profile.confidence,
    binning: profile.binning,
    costs: profile.costs,
    samples: profile.samples,
    ...tuningFieldsJson(profile),
    exits: profile.diagrams.map((diagram, index) => ({
      index,
      ...summarizeDiagram(diagram),
      edges: Array.from(diagram.edges),
      count: Array.from(diagram.count),
      correct: Array.from(diagram.correct),
      sumConfidence: Array.from(diagram.sumConfidence),
    })),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/**
 * Parses and validates a profile's JSON text.
 *
 * @param source where the text came from, for messages (e.g. a file name).
 * @throws InvalidProfileError on malformed JSON, another format, an unknown version, or
 *   inconsistent content — each message says what to do.
 */
export function parseProfile(text: string, source = 'profile'): CalibrationProfile {
  if (text.trim() === '') {
    throw new InvalidProfileError(`${source} is empty`, { hint: hint('profile-is-empty') });
  }
  if (text.startsWith('PK') || text.includes('\u0000')) {
    throw new InvalidProfileError(`${source} is a binary file (traces?), not a calibration profile JSON`, {
      hint: hint('profile-not-traces'),
    });
  }
  const parsed = tryParseJson(text);
  if (!parsed.ok) {
    throw new InvalidProfileError(`${source} is not valid JSON (${parsed.message})`, {
      hint: hint('profile-truncated'),
    });
  }
  const value = parsed.value as Record<string, unknown> | null;
  if (typeof value !== 'object' || value === null || value.format !== 'pcee-profile') {
    const format = typeof value === 'object' && value !== null ? JSON.stringify(value.format) : typeof value;
    throw new InvalidProfileError(
      `${source} is not a calibration profile (format is ${format}, expected "pcee-profile")`,
      { hint: hint('create-profile') },
    );
  }
  if (value.version !== PROFILE_VERSION) {
    throw new InvalidProfileError(
      `${source} has profile version ${JSON.stringify(value.version)}, but this version of PCEE reads version ${PROFILE_VERSION}; recalibrate with this version: pcee calibrate`,
    );
  }
  const result = profileSchema.safeParse(value);
  if (!result.success) {
    throw new InvalidProfileError(`${source} is malformed: ${describeSchemaIssues(result.error)}`);
  }
  const data = result.data;
  if (data.exits.length !== data.model.exits) {
    throw new InvalidProfileError(
      `${source} declares ${data.model.exits} exits but holds ${data.exits.length} diagrams; recalibrate`,
    );
  }
  data.exits.forEach((exit, index) => {
    if (exit.index !== index) {
      throw new InvalidProfileError(
        `${source}: exits[${index}] has index ${exit.index}; exits must be in order`,
      );
    }
  });
  try {
    validateCosts(data.costs, data.model.exits);
    if (data.costs.batchModel) {
      if (data.costs.unit !== 'ms') {
        throw new InvalidProfileError(
          `${source}: costs in ${data.costs.unit} carry a batch cost model, which is only measured in ms`,
          { hint: hint('recalibrate-in-ms') },
        );
      }
      validateBatchCostModel(data.costs.batchModel, data.model.exits);
    }
  } catch (error) {
    if (error instanceof PceeError) throw new InvalidProfileError(`${source}: ${error.message}`);
    throw error;
  }
  return {
    format: 'pcee-profile',
    version: PROFILE_VERSION,
    model: data.model,
    confidence: data.confidence as CalibrationProfile['confidence'],
    binning: data.binning as CalibrationProfile['binning'],
    costs: data.costs,
    samples: data.samples,
    ...tuningFieldsFrom(data, data.model.exits, source),
    diagrams: data.exits.map((exit) => ({
      edges: Float64Array.from(exit.edges),
      count: Float64Array.from(exit.count),
      correct: Float64Array.from(exit.correct),
      sumConfidence: Float64Array.from(exit.sumConfidence),
    })),
  };
}
