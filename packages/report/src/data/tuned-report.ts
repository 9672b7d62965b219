import {
  type CalibrationProfile,
  compileTunedPolicy,
  describeGuarantee,
  type ExitScores,
  evaluatePolicy,
  type PolicyEvaluation,
  type TunedOperatingPoint,
} from '@pcee/core';

/** The profile's tuned operating point (from `pcee tune --out`), on the holdout and on the test traces. */
export interface TunedReport {
  readonly point: TunedOperatingPoint;
  /** The point evaluated on the report's test traces (with its abstention setting). */
  readonly test: PolicyEvaluation;
  /** The guarantee in one sentence; null in budget mode. */
  readonly guarantee: string | null;
}

/** The tuned report of a profile, or null when it was not tuned. */
export function tunedReport(profile: CalibrationProfile, scores: ExitScores): TunedReport | null {
  const point = profile.tuned;
  if (!point) return null;
  const test = evaluatePolicy(scores, compileTunedPolicy(profile), profile.costs, { abstain: point.abstain });
  return { point, test, guarantee: describeGuarantee(point) };
}
