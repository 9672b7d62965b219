import type { HintAction, PceeError } from '@pcee/core';

/**
 * Each way out a library error names, in the CLI's own terms: its flags and commands. Core
 * words hints without any front end's syntax; here they become what to type.
 */
const CLI_HINTS: Record<HintAction, string> = {
  'measure-larger-batch': 'measure a larger --batch',
  'measure-several-batches': 'measure e.g. --batch 1,8,64',
  'choose-delta': 'e.g. --delta 0.9 keeps exits whose validation accuracy is ≥ 90%',
  'delta-or-tune':
    'give --delta, or tune it first: pcee tune <profile.json> <holdout> --target-accuracy 0.9 --out tuned.json',
  'choose-risk': 'e.g. --risk 0.05 makes the guarantee hold with probability ≥ 95%',
  'choose-target-accuracy': 'e.g. --target-accuracy 0.9 asks for at least 90% accuracy',
  'measure-batch-cost-model': 'calibrate with --cost-unit ms --batch 1,4,16,64',
  'recalibrate-in-ms': 'recalibrate with --cost-unit ms',
  'one-cost-per-exit': 'give one cumulative cost per exit (--costs c0,c1,…)',
  'profile-is-empty':
    'pass the profile that pcee calibrate --out wrote (create one with: pcee calibrate <val-traces> --model <model-dir> --out profile.json)',
  'profile-not-traces': 'the profile comes first: pcee evaluate <profile.json> <traces>',
  'profile-truncated': 'is the file truncated? recreate it with: pcee calibrate',
  'create-profile': 'create one with: pcee calibrate <traces> --out profile.json',
  'same-binning': 'calibrate every shard with the same equal-width binning (--binning width --bins B)',
};

/** A library error's message as the CLI prints it: the problem, then the fix as flags. */
export function describeError(error: PceeError): string {
  return error.hint ? `${error.problem}; ${CLI_HINTS[error.hint.action]}` : error.message;
}
