import {
  type AccuracyTuning,
  answeredAccuracy,
  type CalibrationProfile,
  clopperPearsonUpper,
  describeGuarantee,
  type TunedOperatingPoint,
} from '@pcee/core';
import { formatOperatingDelta } from '@pcee/engine';
import { formatCost, formatFraction, renderTable } from '../table.js';

/**
 * Why no δ was certified, in one line: the best holdout accuracy, and how many holdout
 * samples would help — or that none would.
 */
export function describeUncertified(tuning: AccuracyTuning): string {
  const what = tuning.abstain ? 'selective accuracy' : 'accuracy';
  const samples = tuning.holdoutSamples.toLocaleString('en-US');
  const best = tuning.best;
  const head = `no δ of policy ${tuning.policy} certifies ${what} ≥ ${tuning.targetAccuracy} at risk ${tuning.risk} on ${samples} holdout samples: the best holdout ${what} is ${answeredAccuracy(best).toFixed(4)} (δ=${Number(best.delta!.toFixed(4))})`;
  const first = tuning.tests[0];
  if (!first || tuning.holdoutSamplesNeeded === null) {
    const advice = tuning.abstain ? '' : ', or add --abstain to answer only where the model is sure';
    return `${head}, and more holdout data will not help${first ? ` (the first δ tested, ${Number(first.delta.toFixed(4))}, has holdout ${what} ${(1 - first.errors / Math.max(1, first.trials)).toFixed(4)})` : ''}: lower --target-accuracy${advice}`;
  }
  const lower = 1 - clopperPearsonUpper(first.errors, first.trials, tuning.risk);
  const more = tuning.holdoutSamplesNeeded - tuning.holdoutSamples;
  return `${head}; the first δ tested (${Number(first.delta.toFixed(4))}) is certified only down to ${lower.toFixed(4)}: about ${roundUp(more).toLocaleString('en-US')} more holdout samples (${roundUp(tuning.holdoutSamplesNeeded).toLocaleString('en-US')} in all) at the same error rate would certify it, or lower --target-accuracy`;
}

/** Rounds up to two significant digits: a sample count that is a rough estimate should look like one. */
function roundUp(value: number): number {
  if (value < 100) return Math.ceil(value);
  const scale = 10 ** (Math.floor(Math.log10(value)) - 1);
  return Math.ceil(value / scale) * scale;
}

/** The tuned point as a table row and its guarantee (or the budget note), for humans. */
export function renderTuned(
  tuned: TunedOperatingPoint,
  profile: CalibrationProfile,
  single?: {
    readonly accuracy: number;
    readonly meanCost: number;
    readonly relativeCost: number;
    delta: number;
  },
): string {
  const { holdout } = tuned;
  const abstaining = holdout.coverage !== undefined;
  const header = [
    'policy',
    'δ',
    'holdout accuracy',
    `mean cost (${profile.costs.unit})`,
    'relative cost',
    ...(abstaining ? ['coverage', 'selective accuracy'] : []),
  ];
  const rows: (string | number)[][] = [];
  if (single && tuned.exitDeltas) {
    rows.push([
      `${tuned.policy} (single δ)`,
      String(Number(single.delta.toFixed(4))),
      formatFraction(single.accuracy),
      formatCost(single.meanCost),
      formatFraction(single.relativeCost),
    ]);
  }
  rows.push([
    tuned.exitDeltas ? `${tuned.policy} (per exit)` : tuned.policy,
    formatOperatingDelta(tuned.exitDeltas ?? tuned.delta ?? 1),
    formatFraction(holdout.accuracy),
    formatCost(holdout.meanCost),
    formatFraction(holdout.relativeCost),
    ...(abstaining
      ? [formatFraction(holdout.coverage!), formatFraction(holdout.selectiveAccuracy ?? null)]
      : []),
  ]);
  const sentence =
    describeGuarantee(tuned) ??
    `Budget mode: the most accurate ${tuned.exitDeltas ? 'per-exit thresholds' : 'δ'} whose mean cost on the ${holdout.samples.toLocaleString('en-US')} holdout samples is within ${formatCost(tuned.budget!.maxMeanCost)} ${profile.costs.unit} (${formatFraction(tuned.budget!.maxRelativeCost)} of the full model)${tuned.budget!.batch === undefined ? '' : ` at batch ${tuned.budget!.batch}, stages charged for the batches they see after early exits`}. This is an estimate, not a guarantee: deployed accuracy and cost vary by the holdout's sampling noise.`;
  return `${renderTable(header, rows)}${sentence}\n`;
}
