import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ortProbeRunner } from '@pcee/attach';
import { InvalidArgumentError, type Tensor, UnsupportedModelError } from '@pcee/core';
import {
  countParameters,
  indexLimits,
  listExitCandidates,
  partitionCosts,
  partitionGraph,
  probeModel,
  pruneToOutput,
  randomInputs,
  type TensorTypes,
  writeModel,
} from '@pcee/onnx';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { readInputText, writeOutputFile } from '../files.js';
import { positiveInteger } from '../options.js';
import { createProgress } from '../progress.js';
import { buildManifestV2 } from '../split/manifest-v2.js';
import { readOnnxFile } from '../split/onnx-file.js';
import { loadSplitInputs } from '../split/split-inputs.js';
import { renderSplitTable } from '../split/split-table.js';
import { verifySplit } from '../split/verify-split.js';
import { UserError } from '../user-error.js';

/** The largest relative difference between the model's and the stages' logits `split` accepts. */
export const SPLIT_TOLERANCE = 1e-5;

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
  const { model } = await readOnnxFile(modelPath);
  await assertFolderTarget(flags.out);

  io.stderr(`probing tensor shapes of ${name}…\n`);
  const probe = await probeModel(model, ortProbeRunner, name);
  const candidates = listExitCandidates(model, probe.types);
  const exits = flags.exits
    ? flags.exits
        .split(',')
        .map((exit) => exit.trim())
        .filter(Boolean)
    : candidates.map((candidate) => candidate.name);
  if (exits.length === 0) {
    throw new InvalidArgumentError(
      `no output of ${name} is a [batch, classes] float tensor (outputs: ${model.graph!.output.map((o) => o.name).join(', ')}); name the exits with --exits a,b,c`,
    );
  }
  const partition = partitionGraph(model, exits, { types: probe.types, source: name });
  const costs = partitionCosts(partition, probe.shapes);
  const classCount = classesOf(probe.types, exits);
  const classes = flags.classes ? await readClasses(flags.classes, classCount) : generic(classCount);
  const last = exits.at(-1)!;
  const full = pruneToOutput(model, last, partition.types);

  const stageBytes = partition.stages.map((stage, k) => writeModel(stage.model, `stage-${k}.onnx`));
  const fullBytes = writeModel(full.model, 'full.onnx');
  const inputs = preloaded
    ? preloaded
    : flags.inputs
      ? await loadSplitInputs(flags.inputs, probe.inputs)
      : randomInputs(probe.inputs, { ...probe.symbols[0], batch: flags.samples }, indexLimits(model), 7);
  const source = preloaded ? 'the given inputs' : flags.inputs ? basename(flags.inputs) : 'random inputs';
  io.stderr(
    `verifying ${partition.stages.length} stages against ${name} on ${[...inputs.values()][0]?.shape[0] ?? 0} samples of ${source}…\n`,
  );
  const progress = createProgress(io, 'verify');
  const check = await verifySplit(
    writeModel(model, name),
    exits,
    partition.stages.map((stage, k) => ({
      bytes: stageBytes[k]!,
      consumes: stage.consumes,
      logits: stage.logits,
    })),
    inputs as ReadonlyMap<string, Tensor>,
    flags.batch,
    (done, total) => progress.update(done, total),
  ).finally(() => progress.stop());
  const worst = check.errors.reduce((w, error, k) => (error > check.errors[w]! ? k : w), 0);
  if (!(check.errors[worst]! <= SPLIT_TOLERANCE)) {
    throw new UnsupportedModelError(
      `the stages do not reproduce ${name}: exit "${exits[worst]}" differs by ${check.errors[worst]!.toExponential(2)} (relative, over ${check.samples} samples of ${source}; at most ${SPLIT_TOLERANCE.toExponential(0)} allowed); the model may not be deterministic: export it in eval mode (model.eval(), no dropout or random ops)`,
    );
  }

  await mkdir(flags.out, { recursive: true });
  const stageFiles = [];
  for (const [k, bytes] of stageBytes.entries()) {
    const file = `stage-${k}.onnx`;
    await writeOutputFile(join(flags.out, file), bytes);
    stageFiles.push({ file, sha256: sha256(bytes) });
  }
  await writeOutputFile(join(flags.out, 'full.onnx'), fullBytes);
  const manifest = buildManifestV2({
    id: flags.id ?? name.replace(/\.onnx$/i, ''),
    description: flags.description,
    inputs: probe.inputs,
    classes,
    partition,
    costs,
    stageFiles,
    full: {
      file: 'full.onnx',
      sha256: sha256(fullBytes),
      inputs: full.inputs,
      output: last,
      parameters: countParameters(full.model),
    },
  });
  await writeOutputFile(join(flags.out, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  io.stdout(renderSplitTable(partition, costs));
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

function classesOf(types: TensorTypes, exits: readonly string[]): number {
  const counts = exits.map((exit) => types.get(exit)?.shape?.[1]);
  const [first] = counts;
  if (typeof first !== 'number' || counts.some((count) => count !== first)) {
    throw new InvalidArgumentError(
      `the exits have different class counts (${exits.map((exit, k) => `${exit}: ${counts[k]}`).join(', ')}); every exit must classify into the same classes`,
    );
  }
  return first;
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

function generic(count: number): string[] {
  return Array.from({ length: count }, (_, k) => `class_${k}`);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
