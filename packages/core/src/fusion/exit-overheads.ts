import type { ExitCosts } from '../cost/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { ModelManifest } from '../model/index.js';
import { headOverheads, withBoundaryCosts } from './fusion-costs.js';

/**
 * What a live exit costs in time, measured on one batch: every stage run one after another
 * with no exit (each head and stage boundary paid) against all stages fused into one graph
 * with the last head only. The difference, spread over the intermediate exits, is what one
 * exit adds: its head, the copy of the carried tensors out of the backend and back in, and
 * any reordering of their layout.
 */
export interface OverheadMeasurement {
  /** Samples per batch measured. */
  readonly batch: number;
  /** Median wall time per batch of every stage one after another, ms. */
  readonly stagedMs: number;
  /** Median wall time per batch of the one fused graph, ms. */
  readonly fusedMs: number;
  /** The median over rounds of (staged − fused), ≥ 0, / (stages − 1) / batch: one intermediate exit's overhead per sample, ms. */
  readonly perExitMs: number;
}

/** Costs and per-exit overheads in one unit, for `chooseExitDrops`. */
export interface ExitOverheads {
  /** The costs, with stage boundaries counted when they were not (FLOPs, depth). */
  readonly costs: ExitCosts;
  /** Per exit, in the costs' unit: what a live exit adds for every sample that reaches it. */
  readonly overheads: readonly number[];
  /** One boundary's measured cost beyond the head, in the costs' unit, per sample. */
  readonly boundary: number;
}

/**
 * Per-exit overheads in the unit of `costs` from a measurement. Measured milliseconds
 * (`unit: 'ms'`, cumulative latencies taken stage by stage, so boundaries are in them) take
 * the measured per-exit overhead as it is. Any other unit is converted at the rate the fused
 * graph ran (full-model cost per measured ms per sample): the time a boundary costs beyond
 * its head becomes an equivalent cost, added to the costs for every boundary crossed (FLOPs
 * do not see boundaries), and an exit's overhead is its head (FLOPs from the manifest;
 * nothing in other units) plus that boundary.
 *
 * @throws InvalidArgumentError for a measurement that is not positive, or costs of another model.
 */
export function measuredExitOverheads(
  costs: ExitCosts,
  manifest: ModelManifest,
  measurement: OverheadMeasurement,
): ExitOverheads {
  const exits = manifest.stages.length;
  if (costs.exits.length !== exits) {
    throw new InvalidArgumentError(
      `costs have ${costs.exits.length} exits but model "${manifest.id}" has ${exits}; use this model's costs`,
    );
  }
  const { batch, fusedMs, perExitMs } = measurement;
  if (!(batch >= 1 && fusedMs > 0 && perExitMs >= 0)) {
    throw new InvalidArgumentError(
      `overhead measurement (batch ${batch}, fused ${fusedMs} ms, per exit ${perExitMs} ms) is not a measurement; measure again`,
    );
  }
  const intermediate = (value: number) =>
    Array.from({ length: exits }, (_, exit) => (exit < exits - 1 ? value : 0));
  if (costs.unit === 'ms') return { costs, overheads: intermediate(perExitMs), boundary: perExitMs };
  const rate = costs.fullModel / (fusedMs / batch);
  const heads = costs.unit === 'flops' ? headOverheads(manifest) : new Array<number>(exits).fill(0);
  const meanHead = exits > 1 ? heads.slice(0, -1).reduce((sum, head) => sum + head, 0) / (exits - 1) : 0;
  const boundary = Math.max(0, perExitMs * rate - meanHead);
  return {
    costs: withBoundaryCosts(costs, intermediate(boundary)),
    overheads: heads.map((head, exit) => (exit < exits - 1 ? head + boundary : head)),
    boundary,
  };
}
