import { now } from './clock.js';
import type { ExitCosts } from './compute-cost.js';
import { type ConfidenceMeasure, rowArgmax, rowConfidence } from './confidence.js';
import { InvalidArgumentError, InvalidInputError } from './errors.js';
import type { CompiledPolicy } from './policy.js';
import { gatherRows, sliceRows } from './preprocess.js';
import type { StagedModel, StageTensor } from './runtime-spec.js';

/** Options of `runEarlyExit`. */
export interface RunOptions {
  /** The compiled policy (one table per exit). */
  readonly policy: CompiledPolicy;
  /** The confidence measure the profile was calibrated with. */
  readonly confidence: ConfidenceMeasure;
  /** Cumulative exit costs, recorded per sample. */
  readonly costs: ExitCosts;
  /** Samples per batch (default 64). */
  readonly batchSize?: number;
  /** Called after each batch with the number of samples done so far. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Answer "abstain" for samples that reach the last exit in a bin below δ (see
   * `CompiledPolicy.lastExitAnswers`); they are marked in `RunResult.abstained`.
   */
  readonly abstain?: boolean;
}

/** Per-sample outcome of early-exit inference, as parallel arrays indexed by sample. */
export interface RunResult {
  /** Predicted class of the exit taken. */
  readonly prediction: Int32Array;
  /** Exit taken, 0-based. */
  readonly exit: Int32Array;
  /** Confidence at the exit taken, in [0, 1]. */
  readonly confidence: Float64Array;
  /** Validation accuracy of the sample's calibration bin at the exit taken (NaN if empty). */
  readonly estimatedAccuracy: Float64Array;
  /** Cumulative cost of the exit taken, in the costs' unit. */
  readonly cost: Float64Array;
  /** 1 where the sample is answered "abstain" (only with `abstain`); its prediction is the last exit's guess. */
  readonly abstained: Uint8Array;
  /** Wall time split: inside `runStage` vs the runner's own work (policy, bookkeeping, copies), ms. */
  readonly timing: { readonly stageMs: number; readonly runnerMs: number };
}

/**
 * Early-exit inference, identical for every backend: run stage 0 on a batch, decide per
 * sample from the compiled policy, gather the samples that continue into a smaller batch
 * (compaction), run the next stage on them only, until every sample has exited.
 *
 * @param inputs preprocessed stage-0 input, batch first (see `preprocessInputs`).
 */
export async function runEarlyExit(
  model: StagedModel,
  inputs: StageTensor,
  options: RunOptions,
): Promise<RunResult> {
  const { policy, confidence: measure, costs } = options;
  const batchSize = checkBatchSize(options.batchSize ?? 64);
  const answers = options.abstain ? abstentionTable(policy) : undefined;
  if (policy.tables.length !== model.stages) {
    throw new InvalidArgumentError(
      `policy has ${policy.tables.length} exits but model "${model.manifest.id}" has ${model.stages}; recalibrate for this model`,
    );
  }
  const total = inputs.dims[0]!;
  const result = {
    prediction: new Int32Array(total),
    exit: new Int32Array(total),
    confidence: new Float64Array(total),
    estimatedAccuracy: new Float64Array(total),
    cost: new Float64Array(total),
    abstained: new Uint8Array(total),
  };
  let stageMs = 0;
  const started = now();
  const last = model.stages - 1;
  // Scratch: original sample index of each row of the current (compacted) batch.
  let rows = new Int32Array(batchSize);
  let keep = new Int32Array(batchSize);
  for (let start = 0; start < total; start += batchSize) {
    const end = Math.min(total, start + batchSize);
    let active = end - start;
    for (let row = 0; row < active; row++) rows[row] = start + row;
    let input = sliceRows(inputs, start, end);
    for (let stage = 0; stage <= last && active > 0; stage++) {
      const stageStarted = now();
      const output = await model.runStage(stage, input);
      stageMs += now() - stageStarted;
      const classes = checkLogits(output.logits, active, model, stage);
      const logits = output.logits.data;
      const table = policy.tables[stage]!;
      let kept = 0;
      for (let row = 0; row < active; row++) {
        const offset = row * classes;
        const score = rowConfidence(logits, offset, classes, measure);
        const interval = table.lookup(score);
        if (stage === last || table.exit[interval] === 1) {
          const sample = rows[row]!;
          result.prediction[sample] = rowArgmax(logits, offset, classes);
          result.exit[sample] = stage;
          result.confidence[sample] = score;
          result.estimatedAccuracy[sample] = table.estimatedAccuracy[interval]!;
          result.cost[sample] = costs.exits[stage]!;
          if (answers && stage === last && answers[interval] !== 1) result.abstained[sample] = 1;
        } else {
          keep[kept++] = row;
        }
      }
      if (kept === 0 || stage === last) break;
      const features = output.features;
      if (!features) {
        throw new InvalidInputError(
          `stage ${stage} of model "${model.manifest.id}" returned no features for stage ${stage + 1}`,
        );
      }
      // Compaction: only the samples that continue go to the next stage.
      input = kept === active ? features : gatherRows(features, keep, kept);
      for (let row = 0; row < kept; row++) keep[row] = rows[keep[row]!]!;
      [rows, keep] = [keep, rows];
      active = kept;
    }
    options.onProgress?.(end, total);
  }
  const elapsed = now() - started;
  return { ...result, timing: { stageMs, runnerMs: elapsed - stageMs } };
}

/**
 * Trace mode: runs every stage on every sample and records all logits `[N, L, C]`
 * (float32), the input of calibration.
 */
export async function traceModel(
  model: StagedModel,
  inputs: StageTensor,
  options: { readonly batchSize?: number; readonly onProgress?: (done: number, total: number) => void } = {},
): Promise<{ logits: Float32Array; samples: number; exits: number; classes: number }> {
  const batchSize = checkBatchSize(options.batchSize ?? 64);
  const total = inputs.dims[0]!;
  const exits = model.stages;
  const classes = model.manifest.classes.length;
  const logits = new Float32Array(total * exits * classes);
  for (let start = 0; start < total; start += batchSize) {
    const end = Math.min(total, start + batchSize);
    let input = sliceRows(inputs, start, end);
    for (let stage = 0; stage < exits; stage++) {
      const output = await model.runStage(stage, input);
      checkLogits(output.logits, end - start, model, stage);
      for (let row = 0; row < end - start; row++) {
        const target = ((start + row) * exits + stage) * classes;
        logits.set(output.logits.data.subarray(row * classes, (row + 1) * classes), target);
      }
      if (stage < exits - 1) {
        if (!output.features) throw new InvalidInputError(`stage ${stage} returned no features`);
        input = output.features;
      }
    }
    options.onProgress?.(end, total);
  }
  return { logits, samples: total, exits, classes };
}

function abstentionTable(policy: CompiledPolicy): Uint8Array {
  if (!policy.lastExitAnswers) {
    throw new InvalidArgumentError(
      'abstain needs a policy from compilePolicy (this one has no abstention table)',
    );
  }
  return policy.lastExitAnswers;
}

function checkBatchSize(batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidArgumentError(`batch size must be a positive integer, got ${batchSize}`);
  }
  return batchSize;
}

function checkLogits(logits: StageTensor, rows: number, model: StagedModel, stage: number): number {
  const classes = model.manifest.classes.length;
  if (logits.data.length !== rows * classes) {
    throw new InvalidInputError(
      `stage ${stage} of model "${model.manifest.id}" returned logits of shape [${logits.dims.join(', ')}], expected [${rows}, ${classes}]`,
    );
  }
  return classes;
}
