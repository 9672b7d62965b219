import type { ExitCosts, RunResult } from '@pcee/core';

/** Aggregate of an early-exit run, in the shape `pcee run --json` prints. */
export interface RunSummary {
  /** Fraction of samples predicted right, in [0, 1]; null when the inputs have no labels. */
  readonly accuracy: number | null;
  /** Mean cumulative cost of the exits taken, in the costs' unit (FLOPs for model packages). */
  readonly meanCost: number;
  /** meanCost / full-model cost. */
  readonly relativeCost: number;
  /** Samples per exit. */
  readonly exitCounts: number[];
  /** With abstention: share of samples answered (not abstained), in [0, 1]. */
  readonly coverage?: number;
  /** With abstention: accuracy of the answered samples; null without labels or answers. */
  readonly selectiveAccuracy?: number | null;
}

/**
 * Summarises per-sample results against optional labels. With `abstain`, abstained samples
 * count as not correct in `accuracy`, and coverage and selective accuracy are added.
 */
export function summarizeRun(
  result: RunResult,
  costs: ExitCosts,
  labels?: Int32Array,
  abstain = false,
): RunSummary {
  const samples = result.exit.length;
  const exitCounts = new Array<number>(costs.exits.length).fill(0);
  let totalCost = 0;
  let correct = 0;
  let answered = 0;
  for (let n = 0; n < samples; n++) {
    exitCounts[result.exit[n]!]!++;
    totalCost += result.cost[n]!;
    if (abstain && result.abstained[n] === 1) continue;
    answered++;
    if (labels && result.prediction[n] === labels[n]) correct++;
  }
  const meanCost = totalCost / samples;
  const summary: RunSummary = {
    accuracy: labels ? correct / samples : null,
    meanCost,
    relativeCost: meanCost / costs.fullModel,
    exitCounts,
  };
  if (!abstain) return summary;
  return {
    ...summary,
    coverage: answered / samples,
    selectiveAccuracy: labels && answered > 0 ? correct / answered : null,
  };
}
