import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type CalibrationProfile, InvalidArgumentError, parseProfile } from '@pcee/core';
import { readTunedSetting, type TunedSetting } from './tuned-setting.js';

/** A calibration profile file with its optional tuned operating point. */
export interface ProfileFile {
  readonly path: string;
  readonly profile: CalibrationProfile;
  readonly tuned?: TunedSetting;
}

/**
 * Reads a profile JSON file: the profile as core parses it, and the `tuned` entry read from
 * the raw JSON (core may not know it).
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
  const profile = parseProfile(text, basename(path));
  return { path, profile, tuned: readTunedSetting(JSON.parse(text)) };
}
