import {
  batchSizeOf,
  compilePolicy,
  costOfBatches,
  costsWithoutExits,
  describeMeasurementMismatch,
  type ExitCosts,
  headOverheads,
  interleavedMedians,
  manifestCosts,
  predictWithFullModel,
} from '@pcee/core';
import { formatOperatingDelta, openBenchEngines, resolveOperatingPoints } from '@pcee/engine';
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
import { summarizeRun } from '../run-summary.js';
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

/** The full model (full.onnx) at one batch size, as `pcee bench --json` prints it. */
interface FullModelRow {
  batch: number;
  /** null when the inputs have no labels. */
  accuracy: number | null;
  /** Samples per second (median of the repetitions). */
  throughput: number;
  /** Wall time per batch, ms. */
  latencyMs: number;
}

/** One measured early-exit configuration, as `pcee bench --json` prints it. */
interface BenchRow extends FullModelRow {
  policy: string;
  /** δ; with a per-exit tuned profile, one δ per exit. */
  delta: number | readonly number[];
  /** throughput / full-model throughput at the same batch size. */
  speedup: number;
  /**
   * Full-model cost / early-exit cost of the exits taken, in the profile's cost unit (`costUnit`:
   * ms when measured). With a batch cost model (`calibrate --cost-unit ms` at several batch
   * sizes), each batch of this run is charged what its compacted stage batches cost.
   */
  predictedSpeedup: number;
  /**
   * Full-model cost / mean cost of the exits taken from the per-exit costs alone (per sample at
   * the batch they were measured at, blind to compaction); equals predictedSpeedup without a
   * batch cost model.
   */
  perExitPredictedSpeedup: number;
  /** With a batch cost model: the predicted early-exit wall time per batch, ms (beside latencyMs). */
  predictedLatencyMs?: number;
  /** The same from the model's FLOPs (model.json), whatever the profile's unit. */
  flopPredictedSpeedup: number;
  /** With --abstain: share of samples answered. */
  coverage?: number;
  /** With --abstain: accuracy of the answered samples (null without labels). */
  selectiveAccuracy?: number | null;
  /** Whether the exits δ never takes were fused away (false with --no-fuse). */
  fused: boolean;
  /** The exits that were live, in the model's exit indices. */
  liveExits: readonly number[];
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
      const flopCosts = manifestCosts(modelPackage.manifest);
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
      const samples = batchSizeOf(inputs);
      const progress = createProgress(io, 'bench');
      const runsTotal =
        flags.batch.length * (1 + points.length * engines.variants.length) * (flags.repeat + 1);
      let runsDone = 0;
      const onRun = () => progress.update(++runsDone, runsTotal);
      const batchesOf = (batch: number) => Math.ceil(samples / batch);
      try {
        const fullRows: FullModelRow[] = [];
        const rows: BenchRow[] = [];
        for (const batch of flags.batch) {
          const configurations = [];
          for (const [point, variant] of points.flatMap((point) =>
            engines.variants.map((engine) => [point, engine] as const),
          )) {
            const policy = compilePolicy(profile, point.policy, point.delta);
            configurations.push({
              point,
              variant,
              policy,
              alsoDrop: await engines.alsoDrop(variant, policy, batch),
            });
          }
          // The full model and every configuration take turns in each timed round, so load from
          // other processes hits the baseline and early exit alike.
          const [fullRun, ...runs] = await interleavedMedians<unknown>(
            flags.repeat,
            [
              () => predictWithFullModel(full.run, inputs, batch),
              ...configurations.map(
                ({ point, variant, policy, alsoDrop }) =>
                  () =>
                    variant.run(inputs, {
                      policy,
                      confidence: profile.confidence,
                      costs,
                      batchSize: batch,
                      abstain: point.abstain,
                      alsoDrop,
                    }),
              ),
            ],
            onRun,
          );
          const fullThroughput = samples / (fullRun!.medianMs / 1000);
          const fullAccuracy = labels ? accuracyOf(fullRun!.value as Int32Array, labels) : null;
          fullRows.push({
            batch,
            accuracy: fullAccuracy,
            throughput: fullThroughput,
            latencyMs: fullRun!.medianMs / batchesOf(batch),
          });
          configurations.forEach(({ point, variant }, index) => {
            const { medianMs, value } = runs[index]!;
            const run = value as Awaited<ReturnType<typeof variant.run>>;
            const summary = summarizeRun(run.result, costs, labels, point.abstain);
            const throughput = samples / (medianMs / 1000);
            const perExitPredictedSpeedup = costs.fullModel / summary.meanCost;
            // The batch cost model charges each batch of this run what its stages cost on the
            // samples still running there; without one, per-exit costs are all there is.
            const batchPrediction = costs.batchModel
              ? costOfBatches(costs.batchModel, run.result.exit, batch)
              : undefined;
            rows.push({
              policy: point.policy,
              delta: point.delta,
              batch,
              accuracy: summary.accuracy,
              throughput,
              speedup: throughput / fullThroughput,
              predictedSpeedup: batchPrediction
                ? batchPrediction.fullModelMs / batchPrediction.earlyExitMs
                : perExitPredictedSpeedup,
              perExitPredictedSpeedup,
              ...(batchPrediction
                ? { predictedLatencyMs: batchPrediction.earlyExitMs / batchesOf(batch) }
                : {}),
              // The heads of exits the plan dropped are not run: the FLOP figure subtracts them as
              // the runner's own cost (predictedSpeedup) does, so both agree when the unit is FLOPs.
              flopPredictedSpeedup:
                flopCosts.fullModel /
                meanExitCost(
                  run.result.exit,
                  costsWithoutExits(
                    flopCosts,
                    droppedExits(run.plan.liveExits, flopCosts),
                    headOverheads(modelPackage.manifest),
                  ),
                ),
              latencyMs: medianMs / batchesOf(batch),
              ...(point.abstain
                ? { coverage: summary.coverage!, selectiveAccuracy: summary.selectiveAccuracy! }
                : {}),
              fused: variant.fused,
              liveExits: run.plan.liveExits,
            });
            engines.noteDevice(run.device);
          });
        }
        progress.stop();
        for (const line of engines.notes()) io.stderr(`${line}\n`);
        const mismatch = describeMeasurementMismatch(costs, {
          device: engines.device(),
          host: hostCpuModel(),
          threads: flags.threads ?? null,
          batch: costs.batchModel
            ? flags.batch.find(
                (batch) => batch < costs.batchModel!.batches[0]! || batch > costs.batchModel!.batches.at(-1)!,
              )
            : flags.batch.find((batch) => batch !== costs.measurement?.batch),
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
          `${samples} samples on ${engines.device()}, median of ${flags.repeat} runs after a warm-up\n`,
        );
      } finally {
        progress.stop();
        await Promise.all([engines.dispose(), full.dispose()]);
      }
    },
  );
}

/** The exits a fusion plan leaves out (none when every exit is live). */
function droppedExits(liveExits: readonly number[], costs: ExitCosts): number[] {
  const live = new Set(liveExits);
  return costs.exits.map((_, exit) => exit).filter((exit) => !live.has(exit));
}

/** Mean cumulative cost of the exits taken, in `costs`' unit. */
function meanExitCost(exits: Int32Array, costs: ExitCosts): number {
  let total = 0;
  for (const exit of exits) total += costs.exits[exit]!;
  return total / exits.length;
}

function accuracyOf(predictions: Int32Array, labels: Int32Array): number {
  let correct = 0;
  for (let n = 0; n < predictions.length; n++) if (predictions[n] === labels[n]) correct++;
  return correct / predictions.length;
}
