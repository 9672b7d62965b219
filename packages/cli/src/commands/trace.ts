import { createTraces, InvalidArgumentError, traceModel, writeTraces } from '@pcee/core';
import { nodeRuntime } from '@pcee/runtime-node';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { writeOutputFile } from '../files.js';
import { addModelOptions, loadOptions, type ModelFlags, openModelWithInputs } from '../model-options.js';
import { positiveInteger } from '../options.js';
import { createProgress } from '../progress.js';

interface TraceFlags extends ModelFlags {
  batch: number;
  out: string;
}

/** `pcee trace <model-dir> <inputs.npz>`: every exit's logits on labelled inputs, written as traces. */
export function registerTrace(program: Command, io: CliIo): Command {
  const command = program
    .command('trace')
    .description(
      'run every stage of a model on labelled inputs and write the logits of every exit as traces (input of pcee calibrate)',
    )
    .argument('<model-dir>', 'model package folder (model.json + stage .onnx files)')
    .argument(
      '<inputs.npz>',
      '.npz with one array per model input, named after it (x for a one-input model; raw values are preprocessed by the model), and labels',
    )
    .option('--batch <size>', 'samples per batch', positiveInteger('--batch'), 64)
    .requiredOption('--out <traces>', 'where to write the traces: .npz, or .safetensors by extension');
  return addModelOptions(command).action(async (modelDir: string, inputsPath: string, flags: TraceFlags) => {
    const format = flags.out.endsWith('.safetensors') ? 'safetensors' : 'npz';
    const { modelPackage, inputs, labels } = await openModelWithInputs(modelDir, inputsPath, flags.limit);
    if (!labels) {
      throw new InvalidArgumentError(
        `${inputsPath} has no labels; traces need them for calibration: save inputs with np.savez(path, x=x, labels=labels)`,
      );
    }
    const model = await nodeRuntime.load(modelPackage, loadOptions(flags));
    const progress = createProgress(io, 'trace');
    try {
      const traced = await traceModel(model, inputs, {
        batchSize: flags.batch,
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.stop();
      const traces = createTraces(traced.logits, labels, traced);
      await writeOutputFile(flags.out, writeTraces(traces, format));
      io.stderr(
        `traced ${traced.samples} samples × ${traced.exits} exits of "${modelPackage.manifest.id}" on ${model.device} → ${flags.out}\n`,
      );
    } finally {
      progress.stop();
      await model.dispose();
    }
  });
}
