import {
  BINNING_METHODS,
  type BinningMethod,
  CONFIDENCE_MEASURES,
  type ConfidenceMeasure,
  calibrate,
  depthCosts,
  type ExitCosts,
  InvalidArgumentError,
  manifestCosts,
  modelFingerprint,
  scoreExits,
  serializeProfile,
  summarizeDiagram,
  validateCosts,
} from '@pcee/core';
import { openModelPackage } from '@pcee/runtime-node';
import { type Command, Option } from 'commander';
import type { CliIo } from '../cli-io.js';
import { writeOutputFile } from '../files.js';
import { loadTraces } from '../inputs.js';
import { positiveInteger } from '../options.js';
import { formatCost, formatFraction, renderTable } from '../table.js';

interface CalibrateFlags {
  bins: number;
  binning: BinningMethod;
  confidence: ConfidenceMeasure;
  costs?: string;
  model?: string;
  out: string;
  json?: boolean;
}

/** `pcee calibrate <traces>`: one reliability diagram per exit, written as a profile. */
export function registerCalibrate(program: Command, io: CliIo): Command {
  return program
    .command('calibrate')
    .description(
      'build one reliability diagram per exit from validation traces and write a calibration profile',
    )
    .argument('<traces>', 'validation traces: .npz or .safetensors with logits [N, L, C] and labels [N]')
    .option('--bins <count>', 'number of confidence bins', positiveInteger('--bins'), 15)
    .addOption(
      new Option('--binning <method>', 'bin edges: equal width or equal mass')
        .choices(BINNING_METHODS)
        .default('width'),
    )
    .addOption(
      new Option('--confidence <measure>', 'confidence measure')
        .choices(CONFIDENCE_MEASURES)
        .default('max-softmax'),
    )
    .option(
      '--costs <list>',
      'cumulative cost per exit, comma-separated (default: from --model, else exit l costs l+1)',
    )
    .option('--model <model-dir>', 'model package folder: records its identity and takes its FLOP costs')
    .requiredOption('--out <profile.json>', 'where to write the profile')
    .option('--json', 'print the per-exit summary as JSON')
    .action(async (tracesPath: string, flags: CalibrateFlags) => {
      const traces = await loadTraces(tracesPath);
      let costs: ExitCosts = depthCosts(traces.exits);
      let model: { id: string | null; fingerprint: string | null } = { id: null, fingerprint: null };
      if (flags.model) {
        const modelPackage = await openModelPackage(flags.model);
        const { manifest } = modelPackage;
        if (manifest.stages.length !== traces.exits || manifest.classes.length !== traces.classes) {
          throw new InvalidArgumentError(
            `traces have ${traces.exits} exits and ${traces.classes} classes but model "${manifest.id}" has ${manifest.stages.length} exits and ${manifest.classes.length} classes; trace this model with: pcee trace ${flags.model} <inputs.npz> --out traces.npz`,
          );
        }
        costs = manifestCosts(manifest);
        model = { id: manifest.id, fingerprint: modelFingerprint(manifest) };
      }
      if (flags.costs !== undefined) costs = parseCosts(flags.costs, traces.exits);
      const scores = scoreExits(traces, flags.confidence);
      const profile = calibrate(traces, {
        bins: flags.bins,
        binning: flags.binning,
        confidence: flags.confidence,
        costs,
        model,
        scores,
        // Lets `pcee tune` refuse this data as a holdout.
        recordContentHash: true,
      });
      await writeOutputFile(flags.out, serializeProfile(profile));
      const exits = profile.diagrams.map((diagram, index) => ({ index, ...summarizeDiagram(diagram) }));
      if (flags.json) {
        io.stdout(
          `${JSON.stringify({ exits: exits.map(({ index, accuracy, ece, mce }) => ({ index, accuracy, ece, mce })) }, null, 2)}\n`,
        );
        return;
      }
      io.stdout(
        renderTable(
          ['exit', 'accuracy', 'ECE', 'MCE', `cost (${costs.unit})`],
          exits.map((exit) => [
            exit.index,
            formatFraction(exit.accuracy),
            formatFraction(exit.ece),
            formatFraction(exit.mce),
            formatCost(costs.exits[exit.index]!),
          ]),
        ),
      );
      io.stderr(`calibrated ${traces.samples} samples × ${traces.exits} exits → ${flags.out}\n`);
    });
}

/** Parses `--costs c0,c1,…` into cumulative exit costs; the full model costs what the last exit does. */
function parseCosts(text: string, exits: number): ExitCosts {
  const values = text.split(',').map((part) => {
    const value = Number(part.trim());
    if (part.trim() === '' || !Number.isFinite(value)) {
      throw new InvalidArgumentError(
        `--costs entry "${part}" is not a number; give cumulative costs like 1,2.1,3.3`,
      );
    }
    return value;
  });
  return validateCosts({ unit: 'custom', exits: values, fullModel: values[values.length - 1]! }, exits);
}
