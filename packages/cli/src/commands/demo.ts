import { now } from '@pcee/core';
import { measureSpeedup } from '@pcee/engine';
import { defaultModelId, testInputsPath } from '@pcee/models';
import { compareModels, formatPercent, HIGHLIGHT_DELTAS } from '@pcee/report/data';
import { loadFullModel, nodeRuntime } from '@pcee/runtime-node';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { calibrateBundledModel } from '../demo/bundled-model.js';
import { writeOutputFile } from '../files.js';
import { loadInputs } from '../inputs.js';
import { positiveInteger } from '../options.js';
import { createProgress } from '../progress.js';
import { formatFraction, renderTable } from '../table.js';
import { TOOL_VERSION } from '../tool-version.js';

/** The model the large one is compared with when the user names none. */
const DEFAULT_SMALL_MODEL = 'fmnist-cnn-small';

interface DemoFlags {
  model: string;
  compare: string;
  images: number;
  repeat: number;
  out: string;
}

/**
 * `pcee demo`: the whole method on the bundled models with zero arguments — calibrate,
 * evaluate, real early-exit inference against full.onnx, and the HTML report.
 */
export function registerDemo(program: Command, io: CliIo): Command {
  return program
    .command('demo')
    .description(
      'calibrate the bundled models on validation traces, evaluate on test traces, run real early-exit inference against the full model, and write report.html',
    )
    .option('--model <id>', 'bundled model to run', defaultModelId)
    .option('--compare <id>', 'smaller bundled model to compare with', DEFAULT_SMALL_MODEL)
    .option('--images <count>', 'test images for the measured inference', positiveInteger('--images'), 2000)
    .option(
      '--repeat <count>',
      'timed passes per configuration (the median counts)',
      positiveInteger('--repeat'),
      3,
    )
    .option('--out <report.html>', 'where to write the HTML report', 'report.html')
    .action(async (flags: DemoFlags) => {
      const started = now();
      const step = (text: string) => io.stderr(`[${((now() - started) / 1000).toFixed(1)}s] ${text}\n`);
      step(
        `calibrating ${flags.model} and ${flags.compare} on their validation traces, evaluating on test traces`,
      );
      const large = await calibrateBundledModel(flags.model);
      const small = await calibrateBundledModel(flags.compare);
      const comparison = compareModels(large, small);

      step(
        `running ${flags.model} on ${flags.images} test images through onnxruntime-node (full.onnx, then pcee at each δ)`,
      );
      const { arrays, labels } = await loadInputs(testInputsPath(), flags.images);
      const progress = createProgress(io, 'inference');
      const measurement = await measureSpeedup({
        runtime: nodeRuntime,
        loadFull: loadFullModel,
        modelPackage: large.modelPackage,
        profile: large.profile,
        rawInputs: arrays,
        labels: labels!,
        testScores: large.testScores,
        deltas: HIGHLIGHT_DELTAS,
        batchSize: 64,
        repetitions: flags.repeat,
        onProgress: (done, total) => progress.update(done, total),
      }).finally(() => progress.stop());

      step(`writing ${flags.out}`);
      // Loaded on use: the charts are most of the CLI's import time (see report.ts).
      const [{ renderReportPage }, { serverDocument }] = await Promise.all([
        import('@pcee/report'),
        import('@pcee/report/node'),
      ]);
      await writeOutputFile(
        flags.out,
        renderReportPage(
          { report: large.report, comparison, toolVersion: TOOL_VERSION },
          { document: serverDocument() },
        ),
      );

      const { report } = large;
      io.stdout(
        `${report.modelId}: PCEE on ${report.testSamples} test samples (accuracy, relative FLOPs) and measured on ${measurement.images} images (${measurement.device}, batch 64)\n\n`,
      );
      io.stdout(
        renderTable(
          ['δ', 'accuracy', 'relative cost', 'measured accuracy', 'speedup vs full.onnx'],
          [
            [
              'full model',
              formatFraction(report.fullModel.accuracy),
              '1.000',
              formatFraction(measurement.fullModel.accuracy),
              '1.00×',
            ],
            ...report.highlights.map((row, index) => {
              const measured = measurement.deltas[index]!;
              return [
                String(row.delta),
                formatFraction(row.accuracy),
                row.relativeCost.toFixed(3),
                formatFraction(measured.accuracy),
                `${measured.speedup.toFixed(2)}×`,
              ];
            }),
          ],
        ),
      );
      const matching = measurement.deltas.every((row) => row.exitsMatchingSimulation === measurement.images);
      io.stdout(
        `\nexits taken at run time ${matching ? 'match' : 'DIFFER from'} the exits simulated from the traces on all ${measurement.images} images at every δ.\n`,
      );
      io.stdout(`\n${comparison.answer}\n`);
      io.stdout(
        `\nreport: ${flags.out} (${formatPercent(report.fullModel.accuracy)} full-model accuracy, ${report.exits} exits) · done in ${((now() - started) / 1000).toFixed(1)}s\n`,
      );
    });
}
