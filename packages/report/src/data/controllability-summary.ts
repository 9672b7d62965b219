import type { CalibrationProfile, ExitScores, ThresholdPolicyName } from '@pcee/core';
import { sweepDeltas } from '@pcee/core';
import { REPORT_POLICIES } from './report-data.js';

/** Where the controllability summary's δ grid starts and how it steps (target accuracies). */
export const CONTROL_SUMMARY_GRID = { from: 0.5, step: 0.01 } as const;

/** How often one policy missed its target over the grid. */
export interface PolicyMisses {
  /** δ of the grid whose test accuracy fell below δ. */
  readonly misses: number;
  /** misses / grid points, in [0, 1]; 0 for an empty grid. */
  readonly missShare: number;
  /**
   * max(δ − test accuracy) over the grid, in percentage points: positive is the worst miss,
   * negative means every δ held by at least that margin; null for an empty grid.
   */
  readonly worstMissPoints: number | null;
}

/** Controllability in numbers: each report policy's misses over a δ grid, on test traces. */
export interface ControllabilitySummary {
  readonly grid: {
    readonly from: number;
    /** The last δ of the grid; null when it is empty. */
    readonly to: number | null;
    readonly points: number;
    /** The grid's upper bound (e.g. the final exit's validation accuracy): no δ lies above it. */
    readonly upper: number;
  };
  readonly policies: Readonly<Record<ThresholdPolicyName, PolicyMisses>>;
}

/**
 * Over δ = 0.50, 0.51, … up to `upper` (a target no head can promise above, e.g. the final
 * exit's validation accuracy): the share of δ whose test accuracy falls below δ, and the worst
 * miss, for each of `REPORT_POLICIES`.
 *
 * @param upper the grid's upper end, in [0, 1].
 */
export function controllabilitySummary(
  testScores: ExitScores,
  profile: CalibrationProfile,
  upper: number,
): ControllabilitySummary {
  const { from, step } = CONTROL_SUMMARY_GRID;
  const grid: number[] = [];
  // Integer steps, then one division: 0.5 + k·0.01 in floating point drifts off the decimals.
  const scale = Math.round(1 / step);
  for (let index = 0; (from * scale + index) / scale <= upper; index++)
    grid.push((from * scale + index) / scale);
  const policies = Object.fromEntries(
    REPORT_POLICIES.map((policy) => {
      const rows = sweepDeltas(testScores, profile, policy, grid, profile.costs);
      const misses = rows.filter((row) => row.accuracy < row.delta!).length;
      const summary: PolicyMisses = {
        misses,
        missShare: grid.length === 0 ? 0 : misses / grid.length,
        worstMissPoints:
          grid.length === 0 ? null : Math.max(...rows.map((row) => 100 * (row.delta! - row.accuracy))),
      };
      return [policy, summary];
    }),
  ) as Record<ThresholdPolicyName, PolicyMisses>;
  return { grid: { from, to: grid.at(-1) ?? null, points: grid.length, upper }, policies };
}
