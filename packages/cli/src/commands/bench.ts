import { batchSizeOf, describeMeasurementMismatch } from '@pcee/core';
import {
  benchEarlyExit,
  benchRunCount,
  formatOperatingDelta,
  openBenchEngines,
  resolveOperatingPoints,
  unmeasuredBatch,
} from '@pcee/engine';
import { hostCpuModel } from '@pcee/engine/node';
import { loadFullModel, nodeRuntime } from '@pcee/runtime-node';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { addBenchFusionOptions, type FusionFlags } from '../fusion-options.js';
import { loadProfile } from '../inputs.js';
import {
  addModelOptions,
  assertProfileForModel,
  loadOptions,
  type ModelFlags,
  openModelWithInputs,
} from '../model-options.js';
import { positiveInteger, positiveIntegerList } from '../options.js';
import { createProgress } from '../progress.js';
import { slowExitChooserFromFlag } from '../slow-exits.js';
import { formatFraction, renderTable } from '../table.js';
import { UserError } from '../user-error.js';

interface BenchFlags extends ModelFlags, FusionFlags {
  fuseCompare?: boolean;
  profile: string;
  delta?: string;
  policy?: string;
  abstain?: boolean;
  batch: number[];
  limit: number;
  repeat: number;
  json?: boolean;
}

/** `pcee bench`: measured early-exit throughput against full.onnx, next to the predicted speedups (profile's unit, FLOPs). */
export function registerBench(program: Command, io: CliIo): Command {
  const command = program
    .command('bench')
    .description(
      "measure early-exit throughput against the full model (full.onnx) on the same device, threads and batch; compare the measured speedup with the predicted one, in the profile's cost unit (ms when measured) and in FLOPs",
    )
    .argument('<model-dir>', 'model package folder with full.onnx')
    .argument(
      '<inputs.npz>',
      '.npz with one array per model input, named after it (x for a one-input model), and optional labels',
    )
    .requiredOption('--profile <profile.json>', 'calibration profile of this model')
    .option(
      '--delta <spec>',
      "target accuracies: 0.9 | 0.8,0.9 | start:stop:step (inclusive); default: the profile's tuned δ",
    )
    .option('--policy <list>', 'policies, comma-separated: pcee, pcee-ws, confidence (default: pcee)')
    .option('--abstain', 'answer "abstain" for samples that reach the last exit in a bin below δ')
    .option('--batch <list>', 'batch sizes, comma-separated', positiveIntegerList('--batch'), [1, 64])
    .option('--limit <count>', 'inputs to use (the first N)', positiveInteger('--limit'), 1000)
    .option(
      '--repeat <count>',
      'timed rounds after one warm-up round; each round runs the full model and every δ once, interleaved; the median counts',
      positiveInteger('--repeat'),
      5,
    )
    .option(
      '--json',
      'print JSON: "costUnit" (of predictedSpeedup), "rows", "full" (the full model at the first --batch size) and "fullByBatch" (at each); with a batch cost model each row\'s predictedSpeedup charges the compacted stage batches of the run, perExitPredictedSpeedup does not',
    );
  return addModelOptions(addBenchFusionOptions(command), { limit: false }).action(
    async (modelDir: string, inputsPath: string, flags: BenchFlags) => {
      const profile = await loadProfile(flags.profile);
      const points = resolveOperatingPoints(profile, flags);
      const { modelPackage, inputs, labels } = await openModelWithInputs(modelDir, inputsPath, flags.limit);
      assertProfileForModel(profile, modelPackage, modelDir, io.stderr);
      // Plan and predict in the profile's unit (ms when it was measured); FLOPs alongside.
      const costs = profile.costs;
      const options = loadOptions(flags);
      if (!flags.fuse && flags.fuseCompare) {
        throw new UserError('--fuse-compare measures fused and unfused side by side; leave out --no-fuse');
      }
      if (!flags.fuse && flags.dropSlowExits) {
        throw new UserError('--drop-slow-exits drops exits by fusing stages; leave out --no-fuse');
      }
      const full = await loadFullModel(modelPackage, options);
      const engines = await (async () => {
        const chooser = flags.dropSlowExits
          ? await slowExitChooserFromFlag(modelPackage, options, inputs, flags.dropSlowExits, profile, costs)
          : undefined;
        const modes = flags.fuseCompare ? [false, true] : [flags.fuse];
        return openBenchEngines(nodeRuntime, modelPackage, options, { modes, chooser });
      })().catch(async (error) => {
        await full.dispose();
        throw error;
      });
      const progress = createProgress(io, 'bench');
      const runsTotal = benchRunCount(
        flags.batch.length,
        points.length,
        engines.variants.length,
        flags.repeat,
      );
      let runsDone = 0;
      try {
        const { fullRows, rows } = await benchEarlyExit(full, engines, {
          modelPackage,
          profile,
          points,
          batches: flags.batch,
          repeat: flags.repeat,
          inputs,
          labels,
          onRun: () => progress.update(++runsDone, runsTotal),
        });
        progress.stop();
        for (const line of engines.notes()) io.stderr(`${line}\n`);
        const mismatch = describeMeasurementMismatch(costs, {
          device: engines.device(),
          host: hostCpuModel(),
          threads: flags.threads ?? null,
          batch: unmeasuredBatch(costs, flags.batch),
        });
        if (mismatch) io.stderr(`warning: ${mismatch}\n`);
        if (flags.json) {
          // `full` stays one object (the first batch size) for existing readers; `fullByBatch`
          // has the full model at every batch size each row's speedup was measured against.
          const { batch: _, ...full } = fullRows[0]!;
          io.stdout(
            `${JSON.stringify({ costUnit: costs.unit, full, fullByBatch: fullRows, rows }, null, 2)}\n`,
          );
          return;
        }
        const abstaining = rows.some((row) => row.coverage !== undefined);
        // The FLOP prediction gets its own column only when the profile plans in another unit.
        const flopColumn = costs.unit !== 'flops';
        io.stdout(
          renderTable(
            [
              'policy',
              'δ',
              'batch',
              'accuracy',
              'samples/s',
              'speedup',
              `predicted (${costs.unit === 'flops' ? 'FLOPs' : costs.unit})`,
              ...(flopColumn ? ['predicted (FLOPs)'] : []),
              'ms/batch',
              ...(abstaining ? ['coverage'] : []),
              'live exits',
            ],
            [
              ...fullRows.map((row) => [
                'full model',
                '-',
                row.batch,
                formatFraction(row.accuracy),
                row.throughput.toFixed(0),
                '1.00',
                '1.00',
                ...(flopColumn ? ['1.00'] : []),
                row.latencyMs.toFixed(3),
                ...(abstaining ? ['1.0000'] : []),
                '-',
              ]),
              ...rows.map((row) => [
                engines.variants.length > 1 ? `${row.policy} ${row.fused ? 'fused' : 'unfused'}` : row.policy,
                formatOperatingDelta(row.delta),
                row.batch,
                formatFraction(row.accuracy),
                row.throughput.toFixed(0),
                row.speedup.toFixed(2),
                row.predictedSpeedup.toFixed(2),
                ...(flopColumn ? [row.flopPredictedSpeedup.toFixed(2)] : []),
                row.latencyMs.toFixed(3),
                ...(abstaining ? [formatFraction(row.coverage ?? 1)] : []),
                row.fused ? row.liveExits.join(' ') : `${row.liveExits.join(' ')} (unfused)`,
              ]),
            ],
          ),
        );
        io.stderr(
          `${batchSizeOf(inputs)} samples on ${engines.device()}, median of ${flags.repeat} runs after a warm-up\n`,
        );
      } finally {
        progress.stop();
        await Promise.all([engines.dispose(), full.dispose()]);
      }
    },
  );
}
