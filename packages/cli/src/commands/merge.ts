import { basename } from 'node:path';
import {
  type CalibrationProfile,
  describeProfileMismatch,
  mergeProfiles,
  PceeError,
  serializeProfile,
} from '@pcee/core';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { describeError } from '../error-hints.js';
import { writeOutputFile } from '../files.js';
import { loadProfile } from '../inputs.js';
import { UserError } from '../user-error.js';

interface MergeFlags {
  out: string;
}

/** `pcee merge <profile.json…>`: the exact profile of the union of disjoint calibration shards. */
export function registerMerge(program: Command, io: CliIo): Command {
  return program
    .command('merge')
    .description(
      'merge profiles calibrated on disjoint shards of a validation set into the profile of the whole set (exact: byte-identical to calibrating on all shards at once)',
    )
    .argument('<profiles...>', 'profiles from pcee calibrate of the same model with the same options')
    .requiredOption('--out <merged.json>', 'where to write the merged profile')
    .action(async (paths: string[], flags: MergeFlags) => {
      if (paths.length < 2) {
        throw new UserError(`merge needs at least two profiles, got ${paths.length}: ${paths.join(' ')}`);
      }
      const profiles: CalibrationProfile[] = [];
      for (const path of paths) profiles.push(await loadProfile(path));
      const [first, ...rest] = profiles;
      rest.forEach((profile, index) => {
        const mismatch = describeProfileMismatch(first!, profile);
        if (mismatch) throw new UserError(`cannot merge ${names(paths, index + 1)}: ${mismatch}`);
        try {
          mergeProfiles([first!, profile]);
        } catch (error) {
          // Same options but other bin edges: equal-mass shards have their own quantiles.
          if (error instanceof PceeError) {
            throw new UserError(`cannot merge ${names(paths, index + 1)}: ${describeError(error)}`);
          }
          throw error;
        }
      });
      const merged = mergeProfiles(profiles);
      await writeOutputFile(flags.out, serializeProfile(merged));
      const dropped = profiles.some((profile) => profile.tuned);
      io.stderr(
        `merged ${profiles.length} profiles (${merged.samples} samples) → ${flags.out}${dropped ? '; dropped their tuned operating points (tune the merged profile again)' : ''}${merged.calibrationData ? '' : '; not every shard recorded its calibration data hash, so the merged profile has none'}\n`,
      );
    });
}

/** "a.json and b.json" for the first file and the one at `index`. */
function names(paths: readonly string[], index: number): string {
  return `${basename(paths[0]!)} and ${basename(paths[index]!)}`;
}
