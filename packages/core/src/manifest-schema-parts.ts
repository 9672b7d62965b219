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
