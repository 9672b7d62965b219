import { z } from 'zod';

/** A lower-case hex sha256. */
export const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex sha256');

/** A finite number > 0. */
export const positiveNumber = z.number().positive().refine(Number.isFinite, 'must be finite');

/** A plain file name inside the package folder (no path separators, not `..`). */
export const fileNameSchema = z
  .string()
  .min(1)
  .refine(
    (name) => !name.includes('/') && !name.includes('\\') && name !== '..',
    'must be a file name in the package folder',
  );

/** What every version's stage entry has: position, file, hash, costs and size. */
export const stageCommonSchema = z.object({
  index: z.number().int().nonnegative(),
  file: fileNameSchema,
  sha256: sha256Schema,
  flops: z.object({ backbone: z.number().nonnegative(), head: z.number().nonnegative() }),
  parameters: z.number().int().nonnegative(),
});

/** What every version's manifest has besides inputs, stages and the full model. */
export const manifestCommonSchema = z.object({
  format: z.literal('pcee-model'),
  id: z.string().min(1),
  description: z.string().optional(),
  classes: z.array(z.string()).min(2),
  exitCosts: z.array(positiveNumber),
  fullModelCost: positiveNumber,
  costUnit: z.literal('flops'),
  parameters: z.number().int().nonnegative(),
  training: z.record(z.string(), z.unknown()).optional(),
});
