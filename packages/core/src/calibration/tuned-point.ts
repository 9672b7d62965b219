import type { ThresholdPolicyName } from './policy-names.js';

/** How the tuned point did on the holdout it was chosen on. */
export interface TunedHoldout {
  /** Share of all holdout samples answered right, in [0, 1]. */
  readonly accuracy: number;
  /** Mean cost per sample, in the profile's cost unit. */
  readonly meanCost: number;
  /** meanCost / full-model cost. */
  readonly relativeCost: number;
  /** With abstention: share of samples answered. */
  readonly coverage?: number;
  /** With abstention: accuracy of the answered samples (null when none). */
  readonly selectiveAccuracy?: number | null;
  /** Holdout samples. */
  readonly samples: number;
  /** `tracesContentHash` of the holdout, or null when unknown. */
  readonly contentHash: string | null;
}

/** The finite-sample guarantee of an accuracy-tuned point. */
export interface TunedGuarantee {
  /** a: the deployed accuracy (selective accuracy with abstention) is ≥ a … */
  readonly targetAccuracy: number;
  /** … with probability ≥ 1 − α over the draw of the holdout. */
  readonly risk: number;
  /** `GUARANTEE_METHOD`. */
  readonly method: string;
}

/** The operating point `pcee tune --out` records in a profile (optional field `tuned`). */
export interface TunedOperatingPoint {
  readonly policy: ThresholdPolicyName;
  /** The threshold δ; null with per-exit thresholds. */
  readonly delta: number | null;
  /** One threshold per exit, when tuned per exit (budget mode with --per-exit). */
  readonly exitDeltas?: readonly number[];
  /** Whether samples reaching the last exit below δ are answered "abstain". */
  readonly abstain: boolean;
  readonly holdout: TunedHoldout;
  /** The guarantee (accuracy mode); null in budget mode, which is an empirical choice. */
  readonly guarantee: TunedGuarantee | null;
  /**
   * Budget mode: the mean cost allowed, in the profile's unit and relative to the full model;
   * with a batch cost model, at `batch` samples per batch (costs after compaction).
   */
  readonly budget?: {
    readonly maxMeanCost: number;
    readonly maxRelativeCost: number;
    readonly batch?: number;
  };
}

/**
 * The guarantee in one sentence, e.g. "With probability ≥ 95% over the draw of the 5,000
 * holdout samples, accuracy on new data from the same distribution is ≥ 90.00%." Null in
 * budget mode.
 */
export function describeGuarantee(tuned: TunedOperatingPoint): string | null {
  const { guarantee, holdout } = tuned;
  if (!guarantee) return null;
  const confidence = Number(((1 - guarantee.risk) * 100).toFixed(4));
  const what = tuned.abstain ? 'the accuracy of the answered (not abstained) samples' : 'accuracy';
  return `With probability ≥ ${confidence}% over the draw of the ${holdout.samples.toLocaleString('en-US')} holdout samples, ${what} on new data from the same distribution is ≥ ${(guarantee.targetAccuracy * 100).toFixed(2)}% (${guarantee.method}; assumes exchangeable data, not distribution shift).`;
}
