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
import { measureModelCosts } from '@pcee/engine';
import { hostCpuModel } from '@pcee/engine/node';
import { loadFullModel, nodeRuntime, nodeRuntimeVersion, openModelPackage } from '@pcee/runtime-node';
import { type Command, Option } from 'commander';
import type { CliIo } from '../cli-io.js';
import { writeOutputFile } from '../files.js';
import { loadTraces } from '../inputs.js';
import { loadOptions } from '../model-options.js';
import { nativeSha256 } from '../native-hashes.js';
import { positiveInteger, positiveIntegerList } from '../options.js';
import { createProgress } from '../progress.js';
import { formatCost, formatFraction, renderTable } from '../table.js';
import { UserError } from '../user-error.js';

interface CalibrateFlags {
  bins: number;
  binning: BinningMethod;
  confidence: ConfidenceMeasure;
  costs?: string;
  costUnit?: 'flops' | 'ms';
  device?: string;
  batch?: number[];
  threads?: number;
  repeat?: number;
  model?: string;
  out: string;
  json?: boolean;
}

/**
 * Batch sizes `--cost-unit ms` times by default: from a lone sample (what every stage costs at
 * batch 1, and a deep stage after most samples left) to the usual deployed batch.
 */
const DEFAULT_COST_BATCHES = [1, 4, 16, 64];

/** Flags that only make sense when measuring (--cost-unit ms). */
const MEASURE_FLAGS = [
  ['device', '--device'],
  ['batch', '--batch'],
  ['threads', '--threads'],
  ['repeat', '--repeat'],
] as const;

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
    .addOption(
      new Option(
        '--cost-unit <unit>',
        'flops: from model.json; ms: measure each exit on a device (stage by stage, median ms per sample); needs --model',
      ).choices(['flops', 'ms']),
    )
    .option('--device <name>', 'with --cost-unit ms: cpu, cuda or webgpu, or a comma list (default cpu)')
    .option(
      '--batch <list>',
      'with --cost-unit ms: samples per timed batch, comma-separated; with two or more sizes each stage is fitted as fixed + batch × per-sample ms, and predictions charge the smaller batches deep stages run on after early exits (default 1,4,16,64; per-exit costs are those of the largest)',
      positiveIntegerList('--batch'),
    )
    .option('--threads <count>', 'with --cost-unit ms: intra-op threads', positiveInteger('--threads'))
    .option(
      '--repeat <count>',
      'with --cost-unit ms: timed runs after 3 warm-ups; each per-exit cost is their median, the batch fit uses their mean (default 20)',
      positiveInteger('--repeat'),
    )
    .requiredOption('--out <profile.json>', 'where to write the profile')
    .option('--json', 'print the per-exit summary (and the costs) as JSON')
    .action(async (tracesPath: string, flags: CalibrateFlags) => {
      checkCostFlags(flags);
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
        model = { id: manifest.id, fingerprint: modelFingerprint(manifest) };
        if (flags.costUnit === 'ms') {
          const progress = createProgress(io, 'measuring');
          try {
            costs = await measureModelCosts(nodeRuntime, modelPackage, {
              load: loadOptions({ device: flags.device ?? 'cpu', threads: flags.threads }),
              threads: flags.threads,
              loadFull: loadFullModel,
              runtimeVersion: await nodeRuntimeVersion(),
              host: hostCpuModel(),
              batches: flags.batch ?? DEFAULT_COST_BATCHES,
              repeats: flags.repeat ?? 20,
              onProgress: (done, total) => progress.update(done, total),
            });
          } finally {
            progress.stop();
          }
        } else {
          costs = manifestCosts(manifest);
        }
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
        sha256: nativeSha256,
      });
      await writeOutputFile(flags.out, serializeProfile(profile));
      const exits = profile.diagrams.map((diagram, index) => ({ index, ...summarizeDiagram(diagram) }));
      if (flags.json) {
        io.stdout(
          `${JSON.stringify({ exits: exits.map(({ index, accuracy, ece, mce }) => ({ index, accuracy, ece, mce })), costs }, null, 2)}\n`,
        );
        return;
      }
      const batchModel = costs.batchModel;
      io.stdout(
        renderTable(
          [
            'exit',
            'accuracy',
            'ECE',
            'MCE',
            `cost (${costs.unit})`,
            ...(batchModel ? ['stage fixed (ms)', 'stage per sample (ms)', 'fit residual'] : []),
          ],
          exits.map((exit) => {
            const fit = batchModel?.stages[exit.index];
            return [
              exit.index,
              formatFraction(exit.accuracy),
              formatFraction(exit.ece),
              formatFraction(exit.mce),
              formatCost(costs.exits[exit.index]!),
              ...(fit ? [formatCost(fit.fixed), formatCost(fit.perSample), formatPercent(fit.residual)] : []),
            ];
          }),
        ),
      );
      if (costs.measurement) {
        const { device, host, batch, threads, repeats, fullModel } = costs.measurement;
        io.stderr(
          `costs measured on ${device}${host ? ` (${host})` : ''}, batch ${batch}, ${threads ?? 'default'} threads, median of ${repeats} runs: full model ${formatCost(costs.fullModel)} ms per sample (${fullModel === 'measured' ? 'full.onnx timed' : 'estimated: no full.onnx'})\n`,
        );
      }
      if (batchModel) {
        const full = batchModel.fullModel;
        io.stderr(
          `batch cost model fitted at batch ${batchModel.batches.join(', ')}: full model ${formatCost(full.fixed)} ms + ${formatCost(full.perSample)} ms per sample (residual ${formatPercent(full.residual)}); largest stage residual ${formatPercent(Math.max(...batchModel.stages.map((fit) => fit.residual)))}\n`,
        );
      }
      io.stderr(`calibrated ${traces.samples} samples × ${traces.exits} exits → ${flags.out}\n`);
    });
}

/** A fit residual (a fraction) as a percentage with one decimal. */
function formatPercent(value: number): string {
  return `${(100 * value).toFixed(1)}%`;
}

/** Refuses cost flags that contradict each other, before any file is read. */
function checkCostFlags(flags: CalibrateFlags): void {
  if (flags.costs !== undefined && flags.costUnit !== undefined) {
    throw new UserError(
      'choose one of --costs (your own numbers) and --cost-unit (flops or ms from --model)',
    );
  }
  if (flags.costUnit !== undefined && flags.model === undefined) {
    throw new UserError(
      flags.costUnit === 'ms'
        ? "--cost-unit ms measures the model's stages; give the model package with --model <model-dir>"
        : '--cost-unit flops takes the FLOPs from model.json; give the model package with --model <model-dir>',
    );
  }
  if (flags.costUnit !== 'ms') {
    const stray = MEASURE_FLAGS.find(([key]) => flags[key] !== undefined);
    if (stray)
      throw new UserError(`${stray[1]} applies only when measuring; add --cost-unit ms --model <model-dir>`);
  }
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
