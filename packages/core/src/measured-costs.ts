import { fitBatchCostModel } from './batch-cost-model.js';
import { now } from './clock.js';
import { type CostMeasurement, type ExitCosts, validateCosts } from './compute-cost.js';
import { InvalidArgumentError, InvalidInputError } from './errors.js';
import type { FullModel } from './onnx-full-model.js';
import type { StagedModel, StageTensor, TensorMap } from './runtime-spec.js';
import { batchSizeOf } from './stage-tensors.js';
import { tensorLiveness } from './tensor-liveness.js';

/**
 * Measured costs, and why they are measured the way they are.
 *
 * **Stage by stage, at one fixed batch, no exit.** Each timed round runs every stage on the
 * whole batch (what stage i produces feeds the later stages, as the runner carries it;
 * nothing leaves) and times each `runStage` call: backbone part plus its head. Exit l then costs
 * Σ_{i ≤ l} median(stage i) / batch ms per sample. Summing per-stage medians (instead of timing
 * each prefix 0…l separately) makes the costs non-decreasing by construction and needs one
 * chain per round instead of L; `full.onnx` runs in the same rounds, so machine load hits both.
 *
 * **What compaction changes.** At run time stage i sees only the samples still running, a
 * batch b_i ≤ B. A stage costs roughly α_i + β_i·b (a fixed part: session call, thread
 * wake-ups, small kernels, output allocation; and a per-sample part). Costs measured at one
 * batch B charge each sample α_i/B + β_i, so a stage reached by b_i samples is charged
 * α_i·b_i/B for its fixed part instead of α_i: optimistic by α_i·(1 − b_i/B) per stage and
 * batch. Measured at several batch sizes (`measuredBatchCosts`), the fit of α_i and β_i is kept
 * as the costs' `batchModel`, and predictions charge what each compacted batch pays (see
 * `batch-cost-model.ts`). The runner's own work (decisions, compaction) is not in the costs.
 */

/** Options of {@link measureStageLatencies}. */
export interface StageLatencyOptions {
  /** Timed rounds (default 20); each figure is the median over them. */
  readonly repeats?: number;
  /** Untimed rounds first (default 3): session caches, allocator, JIT. */
  readonly warmups?: number;
  /** The full model (`full.onnx`), timed in the same rounds. */
  readonly full?: FullModel;
  /** Called after each round (warm-ups included) with rounds done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Median wall times of one batch, ms. */
export interface StageLatencies {
  /** Samples in the batch. */
  readonly batch: number;
  /** Each stage (backbone part + its head) on the whole batch, median over the rounds, ms. */
  readonly stageMs: readonly number[];
  /** The full model on the batch, median, ms; absent when no full model was given. */
  readonly fullMs?: number;
  /** Timed rounds behind each median. */
  readonly repeats: number;
}

/**
 * Times every stage of a model, stage by stage on one batch with no exit, and the full model
 * in the same rounds (see the note at the top of this file for why this way).
 *
 * @param inputs a preprocessed batch of the model's inputs by name (all `[B, …]`), as the
 *   runner takes them; the full model runs on the same.
 * @throws InvalidArgumentError for repeats < 1 or warm-ups < 0.
 * @throws InvalidInputError when a stage does not return a tensor a later stage needs.
 */
export async function measureStageLatencies(
  model: StagedModel,
  inputs: TensorMap,
  options: StageLatencyOptions = {},
): Promise<StageLatencies> {
  const repeats = options.repeats ?? 20;
  const warmups = options.warmups ?? 3;
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new InvalidArgumentError(`repeats must be a positive integer, got ${repeats}`);
  }
  if (!Number.isInteger(warmups) || warmups < 0) {
    throw new InvalidArgumentError(`warm-ups must be a non-negative integer, got ${warmups}`);
  }
  const live = tensorLiveness(model.manifest);
  const stageTimes: number[][] = Array.from({ length: model.stages }, () => []);
  const fullTimes: number[] = [];
  const rounds = warmups + repeats;
  for (let round = 0; round < rounds; round++) {
    const timed = round >= warmups;
    let carried = inputs;
    for (let stage = 0; stage < model.stages; stage++) {
      const started = now();
      const output = await model.runStage(stage, carried);
      if (timed) stageTimes[stage]!.push(now() - started);
      if (stage < model.stages - 1) {
        const next: Record<string, StageTensor> = {};
        for (const name of live[stage + 1]!) {
          const tensor = output.tensors[name] ?? carried[name];
          if (!tensor) {
            throw new InvalidInputError(
              `stage ${stage} of model "${model.manifest.id}" did not return "${name}", which a later stage needs`,
            );
          }
          next[name] = tensor;
        }
        carried = next;
      }
    }
    if (options.full) {
      const started = now();
      await options.full.run(inputs);
      if (timed) fullTimes.push(now() - started);
    }
    options.onProgress?.(round + 1, rounds);
  }
  return {
    batch: batchSizeOf(inputs),
    stageMs: stageTimes.map(median),
    ...(options.full ? { fullMs: median(fullTimes) } : {}),
    repeats,
  };
}

/** Where the measurement ran, as recorded with the costs (batch and repeats come from the latencies). */
export type MeasurementSetting = Omit<CostMeasurement, 'batch' | 'repeats' | 'fullModel'>;

/**
 * Per-sample costs in ms from measured latencies: exit l costs Σ_{i ≤ l} stageMs[i] / batch.
 * The full model costs `fullMs / batch` when `full.onnx` was timed; otherwise it is estimated
 * as every stage without its head, the head's share of each stage's time taken equal to its
 * share of the stage's FLOPs (`headShares[i]` = head / (backbone + head)), and recorded so.
 *
 * @param headShares per stage, in [0, 1); only used without a measured full model (default 0).
 * @throws InvalidArgumentError when a cost comes out zero (a timer too coarse for the batch:
 *   measure a larger batch) or is otherwise invalid.
 */
export function measuredCosts(
  latencies: StageLatencies,
  setting: MeasurementSetting,
  headShares: readonly number[] = [],
): ExitCosts {
  const { batch, stageMs } = latencies;
  let cumulative = 0;
  const exits = stageMs.map((ms) => (cumulative += ms / batch));
  if (exits.some((cost) => !(cost > 0))) {
    throw new InvalidArgumentError(
      `a stage measured ${stageMs.map((ms) => ms.toFixed(4)).join(', ')} ms on batch ${batch}: the clock is too coarse for it; measure a larger --batch`,
    );
  }
  const fullModel = fullModelMs(latencies, headShares) / batch;
  const measurement: CostMeasurement = {
    ...setting,
    batch,
    repeats: latencies.repeats,
    fullModel: latencies.fullMs !== undefined ? 'measured' : 'estimated',
  };
  return validateCosts({ unit: 'ms', exits, fullModel, measurement }, stageMs.length);
}

/**
 * Per-sample costs in ms (as `measuredCosts`, at the largest batch measured) together with a
 * batch cost model fitted to the latencies at every batch size (`costs.batchModel`, see
 * `fitBatchCostModel`): what the stages cost on the smaller, compacted batches they run on.
 *
 * @param latencies the same model timed at two or more batch sizes (`measureStageLatencies`).
 * @param headShares as in `measuredCosts`, for the full model when it was not timed.
 * @throws InvalidArgumentError for fewer than two batch sizes, or what `measuredCosts` and
 *   `fitBatchCostModel` throw.
 */
export function measuredBatchCosts(
  latencies: readonly StageLatencies[],
  setting: MeasurementSetting,
  headShares: readonly number[] = [],
): ExitCosts {
  if (latencies.length < 2) {
    throw new InvalidArgumentError(
      `a batch cost model needs latencies at two or more batch sizes, got ${latencies.length}; measure e.g. --batch 1,8,64`,
    );
  }
  const largest = latencies.reduce((best, next) => (next.batch > best.batch ? next : best));
  const batchModel = fitBatchCostModel(
    latencies.map((timed) => ({
      batch: timed.batch,
      stageMs: timed.stageMs,
      fullMs: fullModelMs(timed, headShares),
    })),
  );
  return { ...measuredCosts(largest, setting, headShares), batchModel };
}

/**
 * The full model's time on the batch, ms: measured, or estimated as every stage without its
 * head, the head's share of each stage's time taken equal to its share of the FLOPs.
 */
function fullModelMs(latencies: StageLatencies, headShares: readonly number[]): number {
  if (latencies.fullMs !== undefined) return latencies.fullMs;
  const last = latencies.stageMs.length - 1;
  return latencies.stageMs.reduce(
    (sum, ms, stage) => sum + (stage === last ? ms : ms * (1 - (headShares[stage] ?? 0))),
    0,
  );
}

/** Where costs are used now, to compare with where they were measured. */
export interface MeasurementContext {
  readonly device: string;
  /** This host's CPU model, when known. */
  readonly host?: string | null;
  /** Samples per batch now, when one is fixed. */
  readonly batch?: number;
  /** Intra-op threads now (null or absent: the runtime's default). */
  readonly threads?: number | null;
}

/**
 * What differs between where measured costs were measured and where they are used now, as one
 * phrase for a warning, or undefined when nothing that matters differs (or the costs are not
 * measured). Predictions in ms only hold on the device, host, batch size and threads measured.
 */
export function describeMeasurementMismatch(
  costs: ExitCosts,
  context: MeasurementContext,
): string | undefined {
  const measured = costs.measurement;
  if (costs.unit !== 'ms' || !measured) return undefined;
  const differences: string[] = [];
  if (measured.device !== context.device)
    differences.push(`device ${measured.device}, not ${context.device}`);
  if (measured.host && context.host && measured.host !== context.host) {
    differences.push(`host "${measured.host}", not "${context.host}"`);
  }
  const batches = costs.batchModel?.batches;
  if (batches) {
    // A batch cost model predicts any batch between the smallest and largest measured; only
    // extrapolating beyond them is a guess.
    const [smallest, largest] = [batches[0]!, batches[batches.length - 1]!];
    if (context.batch !== undefined && (context.batch < smallest || context.batch > largest)) {
      differences.push(`batch ${smallest}–${largest}, not ${context.batch}`);
    }
  } else if (context.batch !== undefined && measured.batch !== context.batch) {
    differences.push(`batch ${measured.batch}, not ${context.batch}`);
  }
  const threads = (value: number | null | undefined) => (value == null ? 'default' : String(value));
  if (threads(measured.threads) !== threads(context.threads)) {
    differences.push(`${threads(measured.threads)} threads, not ${threads(context.threads)}`);
  }
  if (differences.length === 0) return undefined;
  return `the profile's costs (ms) were measured with ${differences.join(', ')}; its ms predictions may not hold here (re-measure with: pcee calibrate <traces> --model <model-dir> --cost-unit ms --device ${context.device}${context.batch === undefined ? '' : ` --batch ${context.batch}`})`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
