import { basename } from 'node:path';
import { resourceUsage } from 'node:process';
import { type AttachResult, attachExits } from '@pcee/attach';
import { InvalidArgumentError, InvalidInputError, readNpz, sliceBatch, type Tensor } from '@pcee/core';
import { inputsFromArrays } from '@pcee/engine';
import { modelInputs, writeModel } from '@pcee/onnx';
import { type Command, InvalidArgumentError as CommanderInvalidArgument } from 'commander';
import type { CliIo } from '../cli-io.js';
import { readInputFile, writeOutputFile } from '../files.js';
import { loadOnnxModel } from '../inputs.js';
import { positiveInteger } from '../options.js';
import { createProgress } from '../progress.js';
import { formatCost, renderTable } from '../table.js';
import { splitModel } from './split.js';

interface AttachFlags {
  out: string;
  package?: string;
  exits: number;
  at?: string;
  head: string;
  hidden: number;
  maxPool?: boolean;
  tokens: string;
  mask?: string;
  validation: number;
  seed: number;
  batch: number;
  output?: string;
  classes?: string;
  id?: string;
}

/** Samples of the training data `--package` verifies the split on. */
const VERIFY_SAMPLES = 256;

/** `pcee attach <model.onnx> <train.npz> --out <multi-exit.onnx>`: exits for a model that has none. */
export function registerAttach(program: Command, io: CliIo): Command {
  return program
    .command('attach')
    .description(
      'give a pretrained classifier without exits early exits: pick cut points spread over its FLOPs, train a head on frozen pooled features at each (logistic regression or an MLP, on onnxruntime), and write one ONNX graph with outputs exit_0 … exit_{k-1} and the original logits last (bit-identical), ready for pcee split',
    )
    .argument('<model.onnx>', 'the classifier: one output of logits [batch, classes], dynamic batch axis')
    .argument(
      '<train.npz>',
      'labelled training data: one array per model input, named after it (x for a single input), preprocessed as the model expects, and labels (int) [N]',
    )
    .requiredOption('--out <multi-exit.onnx>', 'where to write the model with exits')
    .option('--package <dir>', 'also run pcee split on the result into this folder')
    .option(
      '--exits <count>',
      'number of exits, spread over the FLOPs (about 10/25/45/70 % for 4)',
      positiveInteger('--exits'),
      4,
    )
    .option(
      '--at <tensors>',
      'put the exits at these cut-point tensors instead, comma-separated (see pcee inspect)',
    )
    .option(
      '--head <kind>',
      'linear (multinomial logistic regression) or mlp (one hidden ReLU layer)',
      'linear',
    )
    .option('--hidden <units>', 'hidden units of an mlp head', positiveInteger('--hidden'), 128)
    .option(
      '--max-pool',
      'append max pooling: global max pooling to the average of conv maps, the maximum over tokens to their mean (not with a mask)',
    )
    .option(
      '--tokens <pooling>',
      'token states [batch, T, D]: mean (over unmasked tokens) or cls (token 0)',
      'mean',
    )
    .option(
      '--mask <input>',
      'the [batch, T] mask input for token means (default: an integer input named *mask*)',
    )
    .option(
      '--validation <fraction>',
      'share of each class held out to choose L2 strength and stop early',
      fraction,
      0.1,
    )
    .option('--seed <n>', 'seed of the validation split and MLP initialisation', nonNegativeInteger, 0)
    .option('--batch <size>', 'samples per feature-extraction batch', positiveInteger('--batch'), 256)
    .option('--output <name>', 'the logits output (default: the model’s last output)')
    .option('--classes <file>', 'with --package: class names, one a line')
    .option('--id <id>', 'with --package: model id recorded in model.json')
    .action(async (modelPath: string, dataPath: string, flags: AttachFlags) => {
      const started = performance.now();
      if (flags.head !== 'linear' && flags.head !== 'mlp') {
        throw new InvalidArgumentError(
          `--head ${flags.head} is not a head kind; use --head linear or --head mlp`,
        );
      }
      if (flags.tokens !== 'mean' && flags.tokens !== 'cls') {
        throw new InvalidArgumentError(
          `--tokens ${flags.tokens} is not a token pooling; use --tokens mean or --tokens cls`,
        );
      }
      const name = basename(modelPath);
      const file = basename(dataPath);
      const model = await loadOnnxModel(modelPath);
      const arrays = readNpz(await readInputFile(dataPath, 'training data'));
      const inputs = inputsFromArrays(arrays, modelInputs(model, name), file);
      const labels = arrays.get('labels');
      if (!labels) {
        throw new InvalidInputError(
          `${file} has no "labels" array (it holds: ${[...arrays.keys()].join(', ')}); save the class index of every sample: np.savez(path, …, labels=y)`,
        );
      }
      const progress = createProgress(io, 'features');
      const result = await attachExits(model, inputs, labels, {
        exits: flags.exits,
        at: flags.at
          ?.split(',')
          .map((tensor) => tensor.trim())
          .filter(Boolean),
        head: flags.head,
        hidden: flags.hidden,
        maxPool: flags.maxPool,
        tokens: flags.tokens === 'cls' ? 'class-token' : 'mean',
        mask: flags.mask,
        validationFraction: flags.validation,
        seed: flags.seed,
        batch: flags.batch,
        output: flags.output,
        source: name,
        dataSource: file,
        onProgress: (phase, done, total) => {
          if (phase === 'features') progress.update(done, total);
          else progress.stop();
        },
      }).finally(() => progress.stop());
      await writeOutputFile(flags.out, writeModel(result.model, basename(flags.out)));
      io.stdout(renderAttachTable(result));
      const peak = resourceUsage().maxRSS / 1024;
      io.stderr(
        `trained on ${result.trainSamples} samples, validated on ${result.validationSamples}: features ${result.seconds.features.toFixed(1)} s, heads ${result.seconds.heads.toFixed(1)} s, peak memory ${peak.toFixed(0)} MiB\n` +
          `wrote ${flags.out} (outputs ${result.exits.map((_, k) => `exit_${k}`).join(', ')}, ${result.output}) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
      );
      if (flags.package) {
        const verify = new Map<string, Tensor>(
          [...inputs].map(([input, tensor]) => [
            input,
            sliceBatch(tensor, 0, Math.min(VERIFY_SAMPLES, tensor.shape[0]!)),
          ]),
        );
        await splitModel(
          flags.out,
          { out: flags.package, classes: flags.classes, id: flags.id, samples: VERIFY_SAMPLES, batch: 64 },
          io,
          verify,
        );
      }
    });
}

/** The per-exit table: where, FLOPs share, head accuracy, λ and time. */
export function renderAttachTable(result: AttachResult): string {
  return renderTable(
    ['exit', 'tensor', 'pooling', 'FLOPs', 'share', 'head FLOPs', 'train acc', 'val acc', 'L2', 'time'],
    [
      ...result.exits.map((exit, k) => [
        `exit_${k}`,
        exit.tensor,
        exit.pooling,
        formatCost(exit.flops),
        `${(100 * exit.share).toFixed(1)}%`,
        formatCost(exit.headFlops),
        exit.trainAccuracy.toFixed(4),
        exit.validationAccuracy.toFixed(4),
        exit.regularization.toExponential(0),
        `${exit.seconds.toFixed(1)} s`,
      ]),
      [
        result.output,
        '(original output)',
        '-',
        formatCost(result.modelFlops),
        '100.0%',
        '-',
        '-',
        '-',
        '-',
        '-',
      ],
    ],
  );
}

function fraction(value: string): number {
  const parsed = Number(value);
  if (!(parsed > 0 && parsed < 0.5)) {
    throw new CommanderInvalidArgument(`--validation must be a fraction in (0, 0.5), got "${value}"`);
  }
  return parsed;
}

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new CommanderInvalidArgument(`--seed must be an integer ≥ 0, got "${value}"`);
  }
  return parsed;
}
