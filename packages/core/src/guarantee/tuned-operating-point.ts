import type { CalibrationProfile, TunedHoldout, TunedOperatingPoint } from '../calibration/index.js';
import { hint, InvalidArgumentError } from '../errors/index.js';
import type { PolicyEvaluation } from '../policy/index.js';
import { type CompiledPolicy, compilePolicy } from '../policy/index.js';
import type { AccuracyTuning } from './learn-then-test.js';
import { GUARANTEE_METHOD } from './learn-then-test.js';

/** The holdout record of an evaluation. */
export function tunedHoldout(
  evaluation: PolicyEvaluation,
  samples: number,
  contentHash: string | null,
): TunedHoldout {
  return {
    accuracy: evaluation.accuracy,
    meanCost: evaluation.meanCost,
    relativeCost: evaluation.relativeCost,
    ...(evaluation.coverage === undefined
      ? {}
      : { coverage: evaluation.coverage, selectiveAccuracy: evaluation.selectiveAccuracy ?? null }),
    samples,
    contentHash,
  };
}

/**
 * The operating point of a successful `tuneForAccuracy`.
 *
 * @throws InvalidArgumentError when nothing was certified.
 */
export function accuracyOperatingPoint(
  tuning: AccuracyTuning,
  holdoutHash: string | null,
): TunedOperatingPoint {
  if (!tuning.chosen)
    throw new InvalidArgumentError('no δ was certified; there is no operating point to record');
  return {
    policy: tuning.policy,
    delta: tuning.chosen.delta,
    abstain: tuning.abstain,
    holdout: tunedHoldout(tuning.chosen, tuning.holdoutSamples, holdoutHash),
    guarantee: { targetAccuracy: tuning.targetAccuracy, risk: tuning.risk, method: GUARANTEE_METHOD },
  };
}

/**
 * Compiles a profile's tuned operating point: what `run`, `bench`, `evaluate` and `report`
 * use when no δ is given.
 *
 * @throws InvalidArgumentError when the profile has no `tuned` field.
 */
export function compileTunedPolicy(profile: CalibrationProfile): CompiledPolicy {
  const { tuned } = profile;
  if (!tuned) {
    throw new InvalidArgumentError('the profile has no tuned operating point', {
      hint: hint('delta-or-tune'),
    });
  }
  return compilePolicy(profile, tuned.policy, tuned.exitDeltas ?? tuned.delta ?? 1);
}
