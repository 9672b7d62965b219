import type { ConfidenceMeasure } from '../calibration/index.js';
import type { ExitCosts } from '../cost/index.js';
import { InvalidArgumentError, InvalidInputError } from '../errors/index.js';
import {
  batchSizeOf,
  carryTensors,
  gatherTensorMap,
  isStageTensor,
  type StageTensor,
  sliceTensorMap,
  type TensorMap,
  tensorLiveness,
} from '../model/index.js';
import type { CompiledPolicy } from '../policy/index.js';
import { decideBatch } from '../policy/index.js';
import type { StagedModel } from '../runtime/index.js';
import { now } from '../timing/index.js';

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
 * sample from the compiled policy, gather the samples that continue (every tensor a later
 * stage still needs, any dtype) into a smaller batch (compaction), run the next stage on
 * them only, until every sample has exited.
 *
 * @param inputs the model inputs by name, preprocessed and batch first (see
 *   `preprocessModelInputs`); a bare tensor is taken as the only input of a one-input model.
 */
export async function runEarlyExit(
  model: StagedModel,
  inputs: TensorMap | StageTensor,
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
  const named = modelInputMap(model, inputs);
  const live = tensorLiveness(model.manifest);
  const total = batchSizeOf(named);
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
    let carried = sliceTensorMap(named, start, end);
    for (let stage = 0; stage <= last && active > 0; stage++) {
      const stageStarted = now();
      const output = await model.runStage(stage, carried);
      stageMs += now() - stageStarted;
      const classes = checkLogits(output.logits, active, model, stage);
      const decided = decideBatch(
        output.logits.data,
        active,
        classes,
        policy.tables[stage]!,
        measure,
        stage === last,
      );
      let kept = 0;
      for (let row = 0; row < active; row++) {
        if (decided.exits[row] === 1) {
          const sample = rows[row]!;
          result.prediction[sample] = decided.prediction[row]!;
          result.exit[sample] = stage;
          result.confidence[sample] = decided.confidence[row]!;
          result.estimatedAccuracy[sample] = decided.estimatedAccuracy[row]!;
          result.cost[sample] = costs.exits[stage]!;
          if (answers && stage === last && answers[decided.interval[row]!] !== 1)
            result.abstained[sample] = 1;
        } else {
          keep[kept++] = row;
        }
      }
      if (kept === 0 || stage === last) break;
      const next = carryTensors(model.manifest, stage, carried, output.tensors, live[stage + 1]!);
      // Compaction: only the samples that continue go to the next stage.
      carried = kept === active ? next : gatherTensorMap(next, keep, kept);
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
  inputs: TensorMap | StageTensor,
  options: { readonly batchSize?: number; readonly onProgress?: (done: number, total: number) => void } = {},
): Promise<{ logits: Float32Array; samples: number; exits: number; classes: number }> {
  const batchSize = checkBatchSize(options.batchSize ?? 64);
  const named = modelInputMap(model, inputs);
  const live = tensorLiveness(model.manifest);
  const total = batchSizeOf(named);
  const exits = model.stages;
  const classes = model.manifest.classes.length;
  const logits = new Float32Array(total * exits * classes);
  for (let start = 0; start < total; start += batchSize) {
    const end = Math.min(total, start + batchSize);
    let carried = sliceTensorMap(named, start, end);
    for (let stage = 0; stage < exits; stage++) {
      const output = await model.runStage(stage, carried);
      checkLogits(output.logits, end - start, model, stage);
      for (let row = 0; row < end - start; row++) {
        const target = ((start + row) * exits + stage) * classes;
        logits.set(output.logits.data.subarray(row * classes, (row + 1) * classes), target);
      }
      if (stage < exits - 1)
        carried = carryTensors(model.manifest, stage, carried, output.tensors, live[stage + 1]!);
    }
    options.onProgress?.(end, total);
  }
  return { logits, samples: total, exits, classes };
}

/**
 * The model's inputs by name: a bare tensor is named after the model's only input; of a
 * map, only the model's inputs are kept, and each must be present.
 *
 * @throws InvalidInputError naming the missing input, or a bare tensor for a model with several inputs.
 */
export function modelInputMap(model: StagedModel, inputs: TensorMap | StageTensor): TensorMap {
  const { manifest } = model;
  if (isStageTensor(inputs)) {
    if (manifest.inputs.length !== 1) {
      throw new InvalidInputError(
        `model "${manifest.id}" takes ${manifest.inputs.length} inputs (${manifest.inputs.map((input) => input.name).join(', ')}); pass them by name`,
      );
    }
    return { [manifest.inputs[0]!.name]: inputs };
  }
  const missing = manifest.inputs.filter((input) => !(input.name in inputs)).map((input) => input.name);
  if (missing.length > 0) {
    throw new InvalidInputError(
      `model "${manifest.id}" needs input ${missing.map((name) => `"${name}"`).join(', ')} (given: ${Object.keys(inputs).join(', ') || 'nothing'})`,
    );
  }
  // Only the model's inputs: anything else given (labels, extras) is neither sliced nor carried.
  return Object.fromEntries(manifest.inputs.map((input) => [input.name, inputs[input.name]!]));
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
      `stage ${stage} of model "${model.manifest.id}" returned logits of shape [${logits.shape.join(', ')}], expected [${rows}, ${classes}]`,
    );
  }
  return classes;
}
