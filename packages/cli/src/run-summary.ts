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
}

/** Summarises per-sample results against optional labels. */
export function summarizeRun(result: RunResult, costs: ExitCosts, labels?: Int32Array): RunSummary {
  const samples = result.exit.length;
  const exitCounts = new Array<number>(costs.exits.length).fill(0);
  let totalCost = 0;
  let correct = 0;
  for (let n = 0; n < samples; n++) {
    exitCounts[result.exit[n]!]!++;
    totalCost += result.cost[n]!;
    if (labels && result.prediction[n] === labels[n]) correct++;
  }
  const meanCost = totalCost / samples;
  return {
    accuracy: labels ? correct / samples : null,
    meanCost,
    relativeCost: meanCost / costs.fullModel,
    exitCounts,
  };
}
