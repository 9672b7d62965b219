import { hint, InvalidArgumentError } from '../errors/index.js';
import type { BatchCostModel } from './batch-cost-model.js';

/** Unit of a cost: FLOPs from the export, measured milliseconds, exit depth (l + 1), or user-given. */
export type CostUnit = 'flops' | 'ms' | 'depth' | 'custom';

/**
 * How and where measured costs (unit `ms`) were measured, so a profile used on another
 * device, machine, batch size or thread count can say so. JSON-serialisable.
 */
export interface CostMeasurement {
  /** Device the stages ran on, e.g. `cpu`, `cuda`, `wasm`. */
  readonly device: string;
  /** Samples per batch in the timed runs; costs are per sample at this batch size. */
  readonly batch: number;
  /** Intra-op threads asked for, or null for the runtime's default. */
  readonly threads: number | null;
  /** Runtime name, e.g. `onnxruntime-node`. */
  readonly runtime: string;
  /** Runtime (backend library) version, e.g. `1.30.0`. */
  readonly runtimeVersion: string;
  /** The host's CPU model (e.g. from `os.cpus()`), or null when unknown. */
  readonly host: string | null;
  /** Timed runs per figure (after warm-up); each figure is their median. */
  readonly repeats: number;
  /** Where the full-model cost comes from: `full.onnx` timed, or estimated from the stages. */
  readonly fullModel: 'measured' | 'estimated';
}

/**
 * What stopping at each exit costs.
 *
 * `exits[l]` is cumulative: the backbone up to stage l plus every head evaluated on the way
 * (heads are not free). `fullModel` is the backbone plus the final head only: what the same
 * network costs deployed without early exit.
 */
export interface ExitCosts {
  readonly unit: CostUnit;
  /** Cumulative cost per exit, positive and non-decreasing. */
  readonly exits: readonly number[];
  /** Cost of the full model without intermediate heads, > 0. */
  readonly fullModel: number;
  /** For measured costs (unit `ms`): how and where they were measured. */
  readonly measurement?: CostMeasurement;
  /**
   * For costs measured at several batch sizes (unit `ms`): each stage's and the full model's
   * run cost as `fixed + b · perSample`, so predictions can charge what the compacted batches
   * of deep stages really pay (see `exitCostsAtBatch`). `exits` and `fullModel` stay the
   * per-sample costs at the largest batch measured, for readers that do not know this field.
   */
  readonly batchModel?: BatchCostModel;
}

/**
 * The fallback when no costs are known: exit l costs l + 1 and the full model costs L
 * (every stage counts one unit, heads count nothing).
 */
export function depthCosts(exits: number): ExitCosts {
  return { unit: 'depth', exits: Array.from({ length: exits }, (_, l) => l + 1), fullModel: exits };
}

/**
 * Cumulative exit costs from per-stage backbone and head costs (e.g. FLOPs):
 * `exits[l] = Σ_{i ≤ l} (backbone_i + head_i)`, `fullModel = Σ_i backbone_i + head_{L−1}`.
 */
export function costsFromStages(
  stages: readonly { readonly backbone: number; readonly head: number }[],
  unit: CostUnit = 'flops',
): ExitCosts {
  if (stages.length === 0) throw new InvalidArgumentError('a model needs at least one stage to have costs');
  let cumulative = 0;
  let backbone = 0;
  const exits: number[] = [];
  for (const stage of stages) {
    cumulative += stage.backbone + stage.head;
    backbone += stage.backbone;
    exits.push(cumulative);
  }
  return validateCosts({ unit, exits, fullModel: backbone + stages[stages.length - 1]!.head }, stages.length);
}

/**
 * Checks costs against the number of exits: one finite positive cost per exit,
 * non-decreasing, and a positive full-model cost.
 *
 * @throws InvalidArgumentError naming the offending value.
 */
export function validateCosts(costs: ExitCosts, exits: number): ExitCosts {
  if (costs.exits.length !== exits) {
    throw new InvalidArgumentError(`got ${costs.exits.length} exit costs for ${exits} exits`, {
      hint: hint('one-cost-per-exit'),
    });
  }
  costs.exits.forEach((cost, exit) => {
    if (!Number.isFinite(cost) || cost <= 0) {
      throw new InvalidArgumentError(`cost of exit ${exit} is ${cost}; costs must be finite and positive`);
    }
    if (exit > 0 && cost < costs.exits[exit - 1]!) {
      throw new InvalidArgumentError(
        `cost of exit ${exit} (${cost}) is below exit ${exit - 1} (${costs.exits[exit - 1]}); costs are cumulative, so they never decrease`,
      );
    }
  });
  if (!Number.isFinite(costs.fullModel) || costs.fullModel <= 0) {
    throw new InvalidArgumentError(`full-model cost is ${costs.fullModel}; it must be finite and positive`);
  }
  return costs;
}
