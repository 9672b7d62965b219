import {
  batchSizeOf,
  type CalibrationProfile,
  compilePolicy,
  costOfBatches,
  costsWithoutExits,
  type ExitCosts,
  type FullModel,
  headOverheads,
  interleavedMedians,
  type ModelPackage,
  manifestCosts,
  predictWithFullModel,
  type TensorMap,
} from '@pcee/core';
import type { BenchEngines } from './bench-engines.js';
import type { EngineRun } from './early-exit-engine.js';
import type { OperatingPoint } from './operating-point.js';
import { predictionAccuracy } from './prediction-accuracy.js';
import { summarizeRun } from './run-summary.js';

/** The full model (full.onnx) at one batch size, as `pcee bench --json` prints it. */
export interface FullModelRow {
  batch: number;
  /** null when the inputs have no labels. */
  accuracy: number | null;
  /** Samples per second (median of the repetitions). */
  throughput: number;
  /** Wall time per batch, ms. */
  latencyMs: number;
}

/** One measured early-exit configuration, as `pcee bench --json` prints it. */
export interface BenchRow extends FullModelRow {
  policy: string;
  /** δ; with a per-exit tuned profile, one δ per exit. */
  delta: number | readonly number[];
  /** throughput / full-model throughput at the same batch size. */
  speedup: number;
  /**
   * Full-model cost / early-exit cost of the exits taken, in the profile's cost unit (`costUnit`:
   * ms when measured). With a batch cost model (costs in ms measured at several batch sizes),
   * each batch of this run is charged what its compacted stage batches cost.
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
  /** With abstention: share of samples answered. */
  coverage?: number;
  /** With abstention: accuracy of the answered samples (null without labels). */
  selectiveAccuracy?: number | null;
  /** Whether the exits δ never takes were fused away (false for an unfused engine). */
  fused: boolean;
  /** The exits that were live, in the model's exit indices. */
  liveExits: readonly number[];
}

/** What `benchEarlyExit` measures, and how. */
export interface BenchEarlyExitOptions {
  readonly modelPackage: ModelPackage;
  /** The profile whose costs plan and predict (its unit: ms when measured); FLOPs come from the manifest. */
  readonly profile: CalibrationProfile;
  readonly points: readonly OperatingPoint[];
  /** Batch sizes, each measured on its own. */
  readonly batches: readonly number[];
  /** Timed rounds after one warm-up round; the median counts. */
  readonly repeat: number;
  readonly inputs: TensorMap;
  readonly labels?: Int32Array;
  /** Called after every single run (warm-up included), for progress. */
  readonly onRun?: () => void;
}

/** The rows of one benchmark: the full model at each batch size, and every configuration. */
export interface BenchMeasurement {
  readonly fullRows: FullModelRow[];
  readonly rows: BenchRow[];
}

/** Runs `benchEarlyExit` makes: per batch size, the full model and every point on every engine, each `repeat + 1` times. */
export function benchRunCount(batches: number, points: number, engines: number, repeat: number): number {
  return batches * (1 + points * engines) * (repeat + 1);
}

/**
 * Measures early-exit throughput against the full model on the same device and batch: at each
 * batch size the full model and every operating point on every engine take turns in each timed
 * round, so load from other processes hits the baseline and early exit alike. Each row carries
 * the measured speedup beside the one predicted in the profile's cost unit and in FLOPs.
 */
export async function benchEarlyExit(
  full: FullModel,
  engines: BenchEngines,
  options: BenchEarlyExitOptions,
): Promise<BenchMeasurement> {
  const { modelPackage, profile, inputs, labels } = options;
  const costs = profile.costs;
  const flopCosts = manifestCosts(modelPackage.manifest);
  const samples = batchSizeOf(inputs);
  const batchesOf = (batch: number) => Math.ceil(samples / batch);
  const fullRows: FullModelRow[] = [];
  const rows: BenchRow[] = [];
  for (const batch of options.batches) {
    const configurations = [];
    for (const [point, variant] of options.points.flatMap((point) =>
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
    const [fullRun, ...runs] = await interleavedMedians<unknown>(
      options.repeat,
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
      options.onRun,
    );
    const fullThroughput = samples / (fullRun!.medianMs / 1000);
    fullRows.push({
      batch,
      accuracy: labels ? predictionAccuracy(fullRun!.value as Int32Array, labels) : null,
      throughput: fullThroughput,
      latencyMs: fullRun!.medianMs / batchesOf(batch),
    });
    configurations.forEach(({ point, variant }, index) => {
      const { medianMs, value } = runs[index]!;
      const run = value as EngineRun;
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
        ...(batchPrediction ? { predictedLatencyMs: batchPrediction.earlyExitMs / batchesOf(batch) } : {}),
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
  return { fullRows, rows };
}

/**
 * The first batch size the profile's costs were not measured at (outside a batch cost model's
 * range, or another batch than per-exit costs had), for a measurement-mismatch warning.
 */
export function unmeasuredBatch(costs: ExitCosts, batches: readonly number[]): number | undefined {
  const model = costs.batchModel;
  return model
    ? batches.find((batch) => batch < model.batches[0]! || batch > model.batches.at(-1)!)
    : batches.find((batch) => batch !== costs.measurement?.batch);
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
