import { type ComparedModel, orderByCost } from '@pcee/report/data';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { writeOutputFile } from '../files.js';
import { loadModelReport } from '../report/load-model-report.js';
import { TOOL_VERSION } from '../tool-version.js';
import { UserError } from '../user-error.js';

interface ReportFlags {
  model?: string;
  compare?: string[];
  compareModel?: string;
  validation?: string;
  compareValidation?: string;
  out: string;
}

/** `pcee report <profile> <test-traces>`: one self-contained HTML page of charts. */
export function registerReport(program: Command, io: CliIo): Command {
  return program
    .command('report')
    .description(
      'write a self-contained HTML report: reliability diagrams per exit, controllability, accuracy vs cost, exit distribution, and optionally a comparison with a second model',
    )
    .argument('<profile.json>', 'calibration profile from pcee calibrate')
    .argument('<test-traces>', 'labelled test traces (.npz or .safetensors) of the same model')
    .option(
      '--model <model-dir>',
      'model package folder: names the model and its classes, and gives FLOP costs',
    )
    .option(
      '--compare <files...>',
      'a second model to compare on one FLOPs axis: its <profile.json> <test-traces>',
    )
    .option('--compare-model <model-dir>', 'model package folder of the --compare model')
    .option(
      '--validation <val-traces>',
      'with --compare: labelled validation traces of this model (e.g. those it was calibrated on, never the test traces); when it is the larger model, its δ is chosen on them',
    )
    .option(
      '--compare-validation <val-traces>',
      'with --compare: validation traces of the --compare model, needed when it is the larger one',
    )
    .requiredOption('--out <report.html>', 'where to write the HTML report')
    .action(async (profilePath: string, tracesPath: string, flags: ReportFlags) => {
      if (flags.compare !== undefined && flags.compare.length !== 2) {
        throw new UserError(
          `--compare takes two files, <profile.json> <test-traces>, got ${flags.compare.length}: ${flags.compare.join(' ')}`,
        );
      }
      if (flags.compare === undefined) {
        for (const flag of ['compareModel', 'validation', 'compareValidation'] as const) {
          if (flags[flag] !== undefined) {
            throw new UserError(`--${kebab(flag)} needs --compare <profile.json> <test-traces>`);
          }
        }
      }
      const primary = await loadModelReport({
        profilePath,
        tracesPath,
        modelDir: flags.model,
        validationPath: flags.validation,
      });
      const compareWith = flags.compare
        ? await loadModelReport({
            profilePath: flags.compare[0]!,
            tracesPath: flags.compare[1]!,
            modelDir: flags.compareModel,
            validationPath: flags.compareValidation,
          })
        : undefined;
      if (compareWith) assertLargerHasValidation(primary, compareWith);
      // Loaded here, not at startup: the charts (Observable Plot, linkedom) are most of the CLI's
      // import time, and every other command would pay for them.
      const [{ buildReport }, { serverDocument }] = await Promise.all([
        import('@pcee/report'),
        import('@pcee/report/node'),
      ]);
      const { html, report, comparison } = buildReport(
        { model: primary, compareWith, toolVersion: TOOL_VERSION },
        { document: serverDocument() },
      );
      await writeOutputFile(flags.out, html);
      if (comparison) io.stdout(`${comparison.answer}\n`);
      io.stderr(
        `report for ${report.modelId} (${report.exits} exits, ${report.testSamples} test samples) → ${flags.out}\n`,
      );
    });
}

/**
 * The comparison chooses δ of the larger model on its validation traces: says which flag
 * gives them when they are missing (compareModels' own error cannot name the CLI's flags).
 */
function assertLargerHasValidation(primary: ComparedModel, other: ComparedModel): void {
  if (primary.report.costs.unit !== other.report.costs.unit) return;
  const larger = orderByCost(primary, other)[1];
  if (larger.validationScores !== null) return;
  const flag = larger === primary ? '--validation' : '--compare-validation';
  throw new UserError(
    `the comparison chooses δ of "${larger.report.modelId}" (the larger model) on validation data, never on its test traces: add ${flag} <val-traces> (e.g. the traces its profile was calibrated on)`,
  );
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
