import { type CostMeasurement, type ExitCosts, fitBatchCostModel, validateCosts } from '../cost/index.js';
import { hint, InvalidArgumentError } from '../errors/index.js';
import { batchSizeOf, carryTensors, type TensorMap, tensorLiveness } from '../model/index.js';
import type { FullModel, StagedModel } from '../runtime/index.js';
import { median, now } from '../timing/index.js';

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
  /**
   * Each stage on the whole batch, mean over the rounds, ms: what a batch cost model fits (see
   * `measuredBatchCosts` for why the mean there).
   */
  readonly stageMeanMs?: readonly number[];
  /** The full model on the batch, mean over the rounds, ms. */
  readonly fullMeanMs?: number;
  /** Timed rounds behind each median (with several batch sizes, the smaller are timed more than once a round). */
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
  return (await measureStageLatenciesAtBatches(model, [inputs], options))[0]!;
}

/**
 * Times every stage and the full model as `measureStageLatencies` does, at several batch sizes
 * in the same rounds: each round runs every batch's stages in turn, largest first, then the
 * full model on every batch, so load from other processes hits every batch size alike and
 * does not bend the fit of fixed and per-sample costs.
 *
 * @param batches one preprocessed batch of inputs per batch size to measure.
 * @returns one record per batch, in the order given.
 * @throws InvalidArgumentError for repeats < 1, warm-ups < 0 or no batch.
 * @throws InvalidInputError when a stage does not return a tensor a later stage needs.
 */
export async function measureStageLatenciesAtBatches(
  model: StagedModel,
  batches: readonly TensorMap[],
  options: StageLatencyOptions = {},
): Promise<StageLatencies[]> {
  const repeats = options.repeats ?? 20;
  const warmups = options.warmups ?? 3;
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new InvalidArgumentError(`repeats must be a positive integer, got ${repeats}`);
  }
  if (!Number.isInteger(warmups) || warmups < 0) {
    throw new InvalidArgumentError(`warm-ups must be a non-negative integer, got ${warmups}`);
  }
  if (batches.length === 0) throw new InvalidArgumentError('give at least one batch of inputs to time');
  const live = tensorLiveness(model.manifest);
  const stageTimes = batches.map(() => Array.from({ length: model.stages }, (): number[] => []));
  const fullTimes = batches.map((): number[] => []);
  const rounds = warmups + repeats;
  // Largest batch first and the full model after every chain: a stage timed right after a
  // large full-model run finds its weights evicted from the caches and runs 2–4× slower at
  // batch 1 (measured on the large ViT and CNN), which an early-exit run, going from stage to
  // stage, rarely sees; the small batches, whose times set the fixed costs, come last.
  const order = batches
    .map((_, index) => index)
    .sort((a, b) => batchSizeOf(batches[b]!) - batchSizeOf(batches[a]!));
  // A batch b is timed √(largest / b) times per round (rounded): on a shared machine a short
  // call's mean rests on the rare calls another process interrupts, and more of them steady
  // it, at little cost since the small batches are quick.
  const largest = batchSizeOf(batches[order[0]!]!);
  const passes = batches.map((inputs) => Math.max(1, Math.round(Math.sqrt(largest / batchSizeOf(inputs)))));
  const runs = order.flatMap((index) => new Array<number>(passes[index]!).fill(index));
  for (let round = 0; round < rounds; round++) {
    const timed = round >= warmups;
    for (const index of runs) {
      let carried = batches[index]!;
      for (let stage = 0; stage < model.stages; stage++) {
        const started = now();
        const output = await model.runStage(stage, carried);
        if (timed) stageTimes[index]![stage]!.push(now() - started);
        if (stage < model.stages - 1) {
          carried = carryTensors(model.manifest, stage, carried, output.tensors, live[stage + 1]!);
        }
      }
    }
    for (const index of options.full ? runs : []) {
      const started = now();
      await options.full!.run(batches[index]!);
      if (timed) fullTimes[index]!.push(now() - started);
    }
    options.onProgress?.(round + 1, rounds);
  }
  return batches.map((inputs, index) => ({
    batch: batchSizeOf(inputs),
    stageMs: stageTimes[index]!.map(median),
    ...(options.full ? { fullMs: median(fullTimes[index]!) } : {}),
    stageMeanMs: stageTimes[index]!.map(mean),
    ...(options.full ? { fullMeanMs: mean(fullTimes[index]!) } : {}),
    repeats,
  }));
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
      `a stage measured ${stageMs.map((ms) => ms.toFixed(4)).join(', ')} ms on batch ${batch}: the clock is too coarse for it`,
      { hint: hint('measure-larger-batch') },
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
 * The model fits **mean** times (`stageMeanMs`, `fullMeanMs`; medians where a record has no
 * means). It predicts the wall time of whole runs, which pay every pause of a call: on a
 * machine shared with other processes, a 50 ms full-model run always loses time slices to them
 * while a 0.2 ms stage call mostly escapes, so medians make short stages look cheap next to
 * the full model and the prediction optimistic (measured on the shared 2-core CI machine:
 * stage 0 of fmnist-cnn-large took 2–3× its median inside early-exit runs). On a quiet machine
 * the two agree.
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
      `a batch cost model needs latencies at two or more batch sizes, got ${latencies.length}`,
      { hint: hint('measure-several-batches') },
    );
  }
  const largest = latencies.reduce((best, next) => (next.batch > best.batch ? next : best));
  const batchModel = fitBatchCostModel(
    latencies.map((timed) => {
      const means = {
        ...timed,
        stageMs: timed.stageMeanMs ?? timed.stageMs,
        fullMs: timed.fullMeanMs ?? timed.fullMs,
      };
      return { batch: timed.batch, stageMs: means.stageMs, fullMs: fullModelMs(means, headShares) };
    }),
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

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
