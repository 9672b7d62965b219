import { basename } from 'node:path';
import {
  accuracyOperatingPoint,
  assertRisk,
  assertTargetAccuracy,
  type CalibrationProfile,
  InvalidArgumentError,
  ProfileMismatchError,
  scoreExits,
  serializeProfile,
  type Traces,
  type TunedOperatingPoint,
  tracesContentHash,
  tuneBudgetOperatingPoint,
  tuneForAccuracy,
} from '@pcee/core';
import { parseRunPolicies } from '@pcee/engine';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { writeOutputFile } from '../files.js';
import { loadProfile, loadTraces } from '../inputs.js';
import { nativeSha256 } from '../native-hashes.js';
import { positiveInteger } from '../options.js';
import { describeUncertified, renderTuned } from '../tuning/tune-messages.js';
import { UserError } from '../user-error.js';

interface TuneFlags {
  targetAccuracy?: string;
  risk: string;
  budget?: string;
  perExit?: boolean;
  batch?: number;
  policy: string;
  abstain?: boolean;
  json?: boolean;
  out?: string;
}

/** `pcee tune <profile> <holdout>`: δ for an accuracy target with a guarantee, or for a cost budget. */
export function registerTune(program: Command, io: CliIo): Command {
  return program
    .command('tune')
    .description(
      'pick δ on a holdout set: the cheapest δ whose accuracy is ≥ the target with probability ≥ 1 − risk (Learn-then-Test, exact binomial tests), or the most accurate δ within a cost budget',
    )
    .argument('<profile.json>', 'calibration profile from pcee calibrate')
    .argument(
      '<holdout-traces>',
      'labelled traces of the same model that the profile was NOT calibrated on (.npz or .safetensors)',
    )
    .option('--target-accuracy <a>', 'accuracy to guarantee, in (0, 1] (selective accuracy with --abstain)')
    .option('--risk <α>', 'the guarantee fails with probability at most α, in (0, 1)', '0.05')
    .option(
      '--budget <cost>',
      "instead of a target: mean cost allowed, as a fraction of the full model (0.5, 40%) or with the profile's unit (7e6flops, 7mflops)",
    )
    .option('--per-exit', 'with --budget: search one threshold per exit instead of a single δ')
    .option(
      '--batch <size>',
      'with --budget and costs measured at several batch sizes (calibrate --cost-unit ms --batch 1,4,16,64): the batch size deployed, whose compacted stage batches the costs charge (default: the largest measured)',
      positiveInteger('--batch'),
    )
    .option('--policy <name>', 'pcee, pcee-ws or confidence', 'pcee')
    .option(
      '--abstain',
      'answer "abstain" for samples that reach the last exit in a bin below δ, and guarantee the accuracy of the answered ones',
    )
    .option('--json', 'print the tuned operating point as JSON')
    .option(
      '--out <tuned.json>',
      'write the profile with the tuned operating point; run, bench, evaluate and report then use it',
    )
    .action(async (profilePath: string, holdoutPath: string, flags: TuneFlags) => {
      const mode = checkMode(flags);
      const [policy, ...others] = parseRunPolicies(flags.policy);
      if (others.length > 0) throw new UserError(`--policy takes one name for tune, got "${flags.policy}"`);
      const risk = parseNumber('--risk', flags.risk);
      if (mode === 'accuracy') {
        assertTargetAccuracy(parseNumber('--target-accuracy', flags.targetAccuracy!));
        assertRisk(risk);
      }
      const profile = await loadProfile(profilePath);
      const holdout = await loadTraces(holdoutPath);
      assertHoldoutFits(profile, holdout, basename(profilePath), basename(holdoutPath));
      const contentHash = tracesContentHash(holdout, nativeSha256);
      if (profile.calibrationData?.contentHash === contentHash) {
        throw new UserError(
          `holdout ${basename(holdoutPath)} is the data ${basename(profilePath)} was calibrated on (same content hash): a guarantee needs samples the profile has not seen; split your labelled data, calibrate on one part and tune on the other`,
        );
      }
      if (!profile.calibrationData) {
        io.stderr(
          `warning: ${basename(profilePath)} records no hash of its calibration data, so the holdout cannot be checked to be different data; recalibrate with this version of pcee to record it\n`,
        );
      }
      const scores = scoreExits(holdout, profile.confidence);
      let tuned: TunedOperatingPoint;
      let single: Parameters<typeof renderTuned>[2];
      if (mode === 'accuracy') {
        const tuning = tuneForAccuracy(scores, profile, {
          policy,
          targetAccuracy: Number(flags.targetAccuracy),
          risk,
          abstain: flags.abstain ?? false,
        });
        if (!tuning.chosen) throw new UserError(describeUncertified(tuning));
        tuned = accuracyOperatingPoint(tuning, contentHash);
        io.stderr(
          `tested ${tuning.tests.length} of ${tuning.sequenceLength} δ from strict to loose on ${holdout.samples} holdout samples; ${tuning.certified} certified, the cheapest chosen\n`,
        );
      } else {
        assertBudgetBatch(profile, flags.batch);
        const budgeted = tuneBudgetOperatingPoint(scores, profile, {
          policy,
          budget: flags.budget!,
          perExit: flags.perExit ?? false,
          batch: flags.batch,
          holdoutSamples: holdout.samples,
          holdoutHash: contentHash,
        });
        single = { ...budgeted.tuning.single, delta: budgeted.tuning.single.delta! };
        tuned = budgeted.tuned;
      }
      if (flags.out) {
        await writeOutputFile(flags.out, serializeProfile({ ...profile, tuned }));
        io.stderr(`wrote ${flags.out}: run, bench, evaluate and report use its tuned operating point\n`);
      }
      io.stdout(flags.json ? `${JSON.stringify(tuned, null, 2)}\n` : renderTuned(tuned, profile, single));
    });
}

/**
 * `--batch` prices a budget with a batch cost model; per-exit costs hold for the one batch
 * they were measured at, so without one it is refused.
 */
function assertBudgetBatch(profile: CalibrationProfile, batch: number | undefined): void {
  if (!profile.costs.batchModel && batch !== undefined) {
    throw new UserError(
      '--batch prices a budget with costs measured at several batch sizes, which this profile has not; calibrate with: pcee calibrate <traces> --model <model-dir> --cost-unit ms --batch 1,4,16,64',
    );
  }
}

function checkMode(flags: TuneFlags): 'accuracy' | 'budget' {
  if (flags.targetAccuracy !== undefined && flags.budget !== undefined) {
    throw new UserError('give either --target-accuracy or --budget, not both');
  }
  if (flags.targetAccuracy === undefined && flags.budget === undefined) {
    throw new UserError('give --target-accuracy <a> (e.g. 0.9) or --budget <cost> (e.g. 0.5)');
  }
  if (flags.batch !== undefined && flags.budget === undefined) {
    throw new UserError('--batch prices a --budget; an accuracy target does not depend on the batch size');
  }
  if (flags.perExit && flags.budget === undefined) {
    throw new UserError(
      '--per-exit works with --budget only (a guarantee over per-exit thresholds is not supported)',
    );
  }
  if (flags.abstain && flags.budget !== undefined) {
    throw new UserError('--abstain works with --target-accuracy only');
  }
  return flags.budget === undefined ? 'accuracy' : 'budget';
}

function parseNumber(flag: string, text: string): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) {
    throw new InvalidArgumentError(`${flag} "${text}" is not a number`);
  }
  return value;
}

/** The holdout must be traces of the profile's model: same exits and classes. */
function assertHoldoutFits(
  profile: CalibrationProfile,
  holdout: Traces,
  profileName: string,
  holdoutName: string,
): void {
  const { exits, classes, id } = profile.model;
  if (holdout.exits === exits && holdout.classes === classes) return;
  throw new ProfileMismatchError(
    `holdout ${holdoutName} has ${holdout.exits} exits and ${holdout.classes} classes but ${profileName}${id ? ` (model "${id}")` : ''} has ${exits} exits and ${classes} classes: the holdout must be traces of the profile's model (pcee trace <model-dir> <holdout-inputs.npz> --out holdout.npz)`,
  );
}
