// The δ the runtime-node benchmarks measure at, chosen on validation traces (never test).
import { cheapestDeltaForAccuracy, evaluateFullModel, sweepDeltas } from '@pcee/core';

const ACCURACY_SLACK = Number(process.env.PCEE_BENCH_ACCURACY_SLACK ?? 0.005);
// A fixed δ instead of the choice on validation (e.g. to exercise fusion on untrained weights).
const FIXED_DELTA = process.env.PCEE_BENCH_DELTA ? Number(process.env.PCEE_BENCH_DELTA) : undefined;

/**
 * The cheapest δ within ACCURACY_SLACK of the final exit's accuracy on `scores` (validation),
 * over every δ where the policy can change (PCEE_BENCH_DELTA fixes δ instead). Calibrated on
 * these same traces, some δ always qualifies (at δ = 1 only bins that were all right on them
 * exit), so null would be a bug.
 */
export function pickDelta(id, scores, profile, costs) {
  const full = evaluateFullModel(scores, costs).accuracy;
  if (FIXED_DELTA !== undefined) {
    return {
      validationAccuracyFull: full,
      choice: sweepDeltas(scores, profile, 'pcee', [FIXED_DELTA], costs)[0],
    };
  }
  const choice = cheapestDeltaForAccuracy(scores, profile, 'pcee', Math.max(0, full - ACCURACY_SLACK), {
    costs,
  });
  if (!choice) throw new Error(`no δ of ${id} reaches ${full - ACCURACY_SLACK} on validation`);
  return { validationAccuracyFull: full, choice };
}
