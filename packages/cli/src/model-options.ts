import {
  assertProfileMatches,
  type CalibrationProfile,
  InvalidArgumentError,
  type LoadOptions,
  type ModelPackage,
  modelFingerprint,
  preprocessModelInputs,
  type TensorMap,
} from '@pcee/core';
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

/** A model package with its preprocessed inputs and their labels (if the file has them). */
export interface ModelWithInputs {
  readonly modelPackage: ModelPackage;
  /** Preprocessed model inputs by name. */
  readonly inputs: TensorMap;
  /** Number of samples. */
  readonly samples: number;
  readonly labels?: Int32Array;
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
  const raw = await loadInputs(inputsPath, limit);
  const inputs = preprocessModelInputs(modelPackage.manifest, raw.arrays);
  const classes = modelPackage.manifest.classes.length;
  const outside = raw.labels?.findIndex((label) => label < 0 || label >= classes) ?? -1;
  if (outside >= 0) {
    throw new InvalidArgumentError(
      `${inputsPath}: label of sample ${outside} is ${raw.labels![outside]}, outside [0, ${classes}) for model "${modelPackage.manifest.id}"`,
    );
  }
  return { modelPackage, inputs, samples: raw.samples, labels: raw.labels };
}

/**
 * Throws unless the profile was calibrated for this model (exits, classes, id, weights).
 * A profile calibrated from bare traces records no model, so only its shape can be checked:
 * `warn` (when given) is told so once, with the command that ties a profile to its model.
 */
export function assertProfileForModel(
  profile: CalibrationProfile,
  modelPackage: ModelPackage,
  modelDir: string,
  warn?: (line: string) => void,
): void {
  const { manifest } = modelPackage;
  assertProfileMatches(
    profile,
    {
      label: `model "${manifest.id}"`,
      exits: manifest.stages.length,
      classes: manifest.classes.length,
      id: manifest.id,
      fingerprint: modelFingerprint(manifest),
    },
    `pcee trace ${modelDir} <validation-inputs.npz> --out val.npz && pcee calibrate val.npz --model ${modelDir} --out profile.json`,
  );
  if (profile.model.id === null && profile.model.fingerprint === null) {
    warn?.(
      `warning: the profile was calibrated without --model, so nothing ties it to model "${manifest.id}" (only its ${profile.model.exits} exits and ${profile.model.classes} classes match); recalibrate with: pcee calibrate <val-traces> --model ${modelDir} --out profile.json\n`,
    );
  }
}

/** Parses `--policy` names for running (the oracle needs labels, so it cannot run). */
export function parseRunPolicies(text: string): ('pcee' | 'pcee-ws' | 'confidence')[] {
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (name !== 'pcee' && name !== 'pcee-ws' && name !== 'confidence') {
      throw new InvalidArgumentError(
        `unknown policy "${name}" for running a model; use one of: pcee, pcee-ws, confidence (the oracle needs labels, see pcee evaluate)`,
      );
    }
  }
  return names as ('pcee' | 'pcee-ws' | 'confidence')[];
}
