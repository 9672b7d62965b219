import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InvalidArgumentError, serializeManifest, type Tensor } from '@pcee/core';
import { assertSplitReproduces, SPLIT_TOLERANCE, splitModelPackage } from '@pcee/engine';
import { nodeRuntime, ortProbeRunner } from '@pcee/runtime-node';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { readInputText, writeOutputFile } from '../files.js';
import { loadOnnxModel, loadSplitInputs } from '../inputs.js';
import { positiveInteger } from '../options.js';
import { createProgress } from '../progress.js';
import { renderSplitTable } from '../split/split-table.js';
import { UserError } from '../user-error.js';

/** The options of `pcee split`. */
export interface SplitFlags {
  out: string;
  exits?: string;
  classes?: string;
  id?: string;
  description?: string;
  inputs?: string;
  samples: number;
  batch: number;
}

/** `pcee split <model.onnx> --out <dir>`: one multi-exit ONNX → a verified model package (v2). */
export function registerSplit(program: Command, io: CliIo): Command {
  return program
    .command('split')
    .description(
      'split a multi-exit ONNX model (one output per exit) into stages that stop early, count FLOPs and parameters, write a model package (model.json v2, stage-<i>.onnx, full.onnx) and check that the stages reproduce every exit',
    )
    .argument(
      '<model.onnx>',
      'the exported model: one graph whose outputs include every exit’s logits [batch, classes]',
    )
    .requiredOption('--out <dir>', 'folder to write the model package to (created if missing)')
    .option(
      '--exits <names>',
      'exit outputs in order, comma-separated (default: every [batch, C] float output, by depth)',
    )
    .option('--classes <file>', 'class names, one a line (default: class_0, class_1, …)')
    .option('--id <id>', 'model id recorded in model.json (default: the file name)')
    .option('--description <text>', 'one line for humans, recorded in model.json')
    .option(
      '--inputs <inputs.npz>',
      'verify on these inputs: one array per model input, named after it (x for a single input)',
    )
    .option(
      '--samples <count>',
      'random samples to verify on when no --inputs',
      positiveInteger('--samples'),
      16,
    )
    .option('--batch <size>', 'samples per verification batch', positiveInteger('--batch'), 64)
    .action((modelPath: string, flags: SplitFlags) => splitModel(modelPath, flags, io));
}

/**
 * What `pcee split` does, callable from other commands (`pcee attach --package`): split
 * `modelPath` into a verified model package in `flags.out`. `preloaded` inputs, when given,
 * replace `--inputs` and random inputs for the verification.
 */
export async function splitModel(
  modelPath: string,
  flags: SplitFlags,
  io: CliIo,
  preloaded?: ReadonlyMap<string, Tensor>,
): Promise<void> {
  const started = performance.now();
  const name = basename(modelPath);
  const model = await loadOnnxModel(modelPath);
  await assertFolderTarget(flags.out);

  const source = preloaded ? 'the given inputs' : flags.inputs ? basename(flags.inputs) : 'random inputs';
  const progress = createProgress(io, 'verify');
  const split = await splitModelPackage(nodeRuntime, model, {
    name,
    exits: flags.exits
      ?.split(',')
      .map((exit) => exit.trim())
      .filter(Boolean),
    classes: flags.classes ? (count) => readClasses(flags.classes!, count) : undefined,
    id: flags.id ?? name.replace(/\.onnx$/i, ''),
    description: flags.description,
    inputs: preloaded
      ? async () => preloaded
      : flags.inputs
        ? (probed) => loadSplitInputs(flags.inputs!, probed)
        : undefined,
    samples: flags.samples,
    batch: flags.batch,
    probe: ortProbeRunner,
    onStep: (step, verifying) =>
      io.stderr(
        step === 'probe'
          ? `probing tensor shapes of ${name}…\n`
          : `verifying ${verifying!.stages} stages against ${name} on ${verifying!.samples} samples of ${source}…\n`,
      ),
    onProgress: (done, total) => progress.update(done, total),
  }).finally(() => progress.stop());
  assertSplitReproduces(split, name, source);
  const { check, worst, exits, partition } = split;

  await mkdir(flags.out, { recursive: true });
  for (const [file, bytes] of split.files) await writeOutputFile(join(flags.out, file), bytes);
  await writeOutputFile(
    join(flags.out, 'model.json'),
    serializeManifest(split.manifest, join(flags.out, 'model.json')),
  );

  io.stdout(renderSplitTable(partition, split.costs));
  io.stderr(
    `verified ${check.samples} samples of ${source}: largest relative difference ${check.errors[worst]!.toExponential(2)} (exit "${exits[worst]}", at most ${SPLIT_TOLERANCE.toExponential(0)} allowed)\n` +
      `wrote ${partition.stages.length} stages, full.onnx and model.json to ${flags.out} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

/** Fails early, before any work, when --out names an existing file. */
async function assertFolderTarget(out: string): Promise<void> {
  const existing = await stat(out).catch(() => undefined);
  if (existing && !existing.isDirectory()) {
    throw new UserError(`--out ${out} is a file; give a folder for the model package`);
  }
}

async function readClasses(path: string, count: number): Promise<string[]> {
  const names = (await readInputText(path, 'classes file'))
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  if (names.length !== count) {
    throw new InvalidArgumentError(
      `${basename(path)} names ${names.length} classes but the exits have ${count}; write one class name a line`,
    );
  }
  return names;
}
