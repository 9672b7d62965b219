import {
  type CalibrationProfile,
  InvalidArgumentError,
  type LoadOptions,
  type ModelPackage,
} from '@pcee/core';
import { assertProfileFitsModel, type ModelWithInputs, recalibrateHint, withModelInputs } from '@pcee/engine';
import { openModelPackage } from '@pcee/runtime-node';
import { type Command, Option } from 'commander';
import { loadInputs } from './inputs.js';
import { positiveInteger } from './options.js';

/** Flags every command that runs a model shares. */
export interface ModelFlags {
  device: string;
  threads?: number;
  limit?: number;
}

/** Adds `--device`, `--threads` (and `--limit` unless the caller adds its own) to a command. */
export function addModelOptions(command: Command, options: { limit?: boolean } = {}): Command {
  command
    .option(
      '--device <name>',
      'cpu, cuda or webgpu; a comma list (cuda,cpu) takes the first available one',
      'cpu',
    )
    .option(
      '--threads <count>',
      'intra-op threads (default: onnxruntime picks)',
      positiveInteger('--threads'),
    );
  if (options.limit !== false) {
    command.addOption(
      new Option('--limit <count>', 'use only the first N inputs').argParser(positiveInteger('--limit')),
    );
  }
  return command;
}

/** `--device`/`--threads` as runtime load options. */
export function loadOptions(flags: ModelFlags): LoadOptions {
  const devices = flags.device
    .split(',')
    .map((device) => device.trim())
    .filter(Boolean);
  if (devices.length === 0) throw new InvalidArgumentError('--device is empty; use cpu, cuda or webgpu');
  return { device: devices.length === 1 ? devices[0]! : devices, threads: flags.threads };
}

/**
 * Opens the model package and reads and preprocesses the inputs by its manifest. A shape or
 * dtype mismatch is an `InvalidInputError` naming both, before any session is created.
 */
export async function openModelWithInputs(
  modelDir: string,
  inputsPath: string,
  limit?: number,
): Promise<ModelWithInputs> {
  const modelPackage = await openModelPackage(modelDir);
  return withModelInputs(modelPackage, await loadInputs(inputsPath, limit), inputsPath);
}

/**
 * Throws unless the profile was calibrated for this model (the engine's one check). A
 * profile calibrated from bare traces records no model, so only its shape can be checked:
 * `warn` (when given) is told so once, with the command that ties a profile to its model.
 */
export function assertProfileForModel(
  profile: CalibrationProfile,
  modelPackage: ModelPackage,
  modelDir: string,
  warn?: (line: string) => void,
): void {
  const { tied } = assertProfileFitsModel(profile, modelPackage, recalibrateHint(modelDir));
  if (!tied) {
    warn?.(
      `warning: the profile was calibrated without --model, so nothing ties it to model "${modelPackage.manifest.id}" (only its ${profile.model.exits} exits and ${profile.model.classes} classes match); recalibrate with: pcee calibrate <val-traces> --model ${modelDir} --out profile.json\n`,
    );
  }
}
