import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type CalibrationProfile, InvalidArgumentError, parseProfile } from '@pcee/core';

/** A calibration profile file (its `tuned` operating point, if any, is `profile.tuned`). */
export interface ProfileFile {
  readonly path: string;
  readonly profile: CalibrationProfile;
}

/**
 * Reads a profile JSON file.
 *
 * @throws InvalidArgumentError for a missing or unreadable file; InvalidProfileError for bad content.
 */
export async function readProfileFile(path: string): Promise<ProfileFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(
      code === 'ENOENT'
        ? `profile not found: ${path}; make one with pcee calibrate <val-traces> --model <dir> --out ${path}`
        : `cannot read profile ${path}: ${(error as Error).message}`,
    );
  }
  return { path, profile: parseProfile(text, basename(path)) };
}
