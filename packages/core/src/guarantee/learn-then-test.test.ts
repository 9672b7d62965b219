import { describe, expect, it } from 'vitest';
import { calibrate, scoreExits } from '../calibration/index.js';
import { PceeError } from '../errors/index.js';
import { compilePolicy, evaluatePolicy } from '../policy/index.js';
import { syntheticTraces } from '../test-support/random-traces.js';
import { errorRatePValue } from './binomial-tail.js';
import { fixedSequenceRejections } from './fixed-sequence.js';
import { answeredAccuracy, tuneForAccuracy, tuningCandidates } from './learn-then-test.js';

const profile = calibrate(syntheticTraces(3000, 4, 5, 11));
const holdout = scoreExits(syntheticTraces(3000, 4, 5, 12));
const finalAccuracy = evaluatePolicy(holdout, compilePolicy(profile, 'pcee', 1), profile.costs).accuracy;

describe('fixed-sequence testing', () => {
  it.each([
    [[0.01, 0.02, 0.2, 0.01], 0.05, 2],
    [[0.1, 0.01], 0.05, 0],
    [[0.05, 0.049], 0.05, 2],
    [[], 0.05, 0],
  ])('p-values %j at α=%d reject the first %i', (pValues, risk, expected) => {
    expect(fixedSequenceRejections(pValues, risk)).toBe(expected);
  });
});

describe('tuneForAccuracy (Learn-then-Test)', () => {
  it('equals testing every candidate from strict to loose by hand and taking the cheapest certified δ', () => {
    const target = finalAccuracy - 0.08;
    const tuning = tuneForAccuracy(holdout, profile, { targetAccuracy: target, risk: 0.05 });
    const descending = tuningCandidates(profile, 'pcee', false).sort((a, b) => b - a);
    const certified = [];
    for (const delta of descending) {
      const evaluation = evaluatePolicy(holdout, compilePolicy(profile, 'pcee', delta), profile.costs);
      const errors = holdout.samples - Math.round(evaluation.accuracy * holdout.samples);
      if (errorRatePValue(errors, holdout.samples, 1 - target) > 0.05) break;
      certified.push(evaluation);
    }
    expect(certified.length).toBeGreaterThan(1);
    expect(tuning.certified).toBe(certified.length);
    const cheapest = Math.min(...certified.map((row) => row.meanCost));
    expect(tuning.chosen!.meanCost).toBe(cheapest);
    expect(tuning.chosen!.accuracy).toBeGreaterThanOrEqual(target);
    // The sequence stopped at the first failure, whose p-value is above α.
    expect(tuning.tests.at(-1)!.pValue).toBeGreaterThan(0.05);
    expect(tuning.tests.slice(0, -1).every((test) => test.pValue <= 0.05)).toBe(true);
  });

  it('a looser risk certifies at least as much, so its δ is never more expensive', () => {
    const target = finalAccuracy - 0.05;
    const strict = tuneForAccuracy(holdout, profile, { targetAccuracy: target, risk: 0.01 });
    const loose = tuneForAccuracy(holdout, profile, { targetAccuracy: target, risk: 0.2 });
    expect(loose.certified).toBeGreaterThanOrEqual(strict.certified);
    expect(loose.chosen!.meanCost).toBeLessThanOrEqual(strict.chosen!.meanCost);
  });

  it('a target above what the model reaches certifies nothing, and says more data will not help', () => {
    const tuning = tuneForAccuracy(holdout, profile, { targetAccuracy: Math.min(1, finalAccuracy + 0.05) });
    expect(tuning.chosen).toBeNull();
    expect(tuning.holdoutSamplesNeeded).toBeNull();
    expect(tuning.best.accuracy).toBeLessThan(finalAccuracy + 0.05);
  });

  it('a target just below the holdout accuracy on a small holdout asks for more holdout samples', () => {
    const small = scoreExits(syntheticTraces(200, 4, 5, 13));
    const smallFinal = evaluatePolicy(small, compilePolicy(profile, 'pcee', 1), profile.costs).accuracy;
    const tuning = tuneForAccuracy(small, profile, { targetAccuracy: smallFinal - 0.02 });
    expect(tuning.chosen).toBeNull();
    expect(tuning.holdoutSamplesNeeded).toBeGreaterThan(200);
    // At that size the first test would pass at the same error rate.
    const test = tuning.tests[0]!;
    const scale = tuning.holdoutSamplesNeeded! / 200;
    const trials = Math.round(test.trials * scale);
    const errors = Math.round((test.errors / test.trials) * trials);
    expect(errorRatePValue(errors, trials, 1 - (smallFinal - 0.02))).toBeLessThanOrEqual(0.05);
  });

  it('with abstention it certifies the selective accuracy, above what answering everything reaches', () => {
    const target = Math.min(0.99, finalAccuracy + 0.04);
    const tuning = tuneForAccuracy(holdout, profile, { targetAccuracy: target, abstain: true });
    expect(tuning.chosen).not.toBeNull();
    expect(answeredAccuracy(tuning.chosen!)).toBeGreaterThanOrEqual(target);
    expect(tuning.chosen!.coverage).toBeLessThan(1);
    expect(tuning.chosen!.coverage).toBeGreaterThan(0.3);
    for (const test of tuning.tests) expect(test.trials).toBe(holdout.samples - test.evaluation.abstained!);
  });

  it.each([
    [{ targetAccuracy: 0 }],
    [{ targetAccuracy: 1.01 }],
    [{ targetAccuracy: Number.NaN }],
    [{ targetAccuracy: 0.9, risk: 0 }],
    [{ targetAccuracy: 0.9, risk: 1 }],
    [{ targetAccuracy: 0.9, risk: -0.1 }],
  ])('rejects %j with a PceeError naming the value', (options) => {
    expect(() => tuneForAccuracy(holdout, profile, options)).toThrow(PceeError);
    expect(() => tuneForAccuracy(holdout, profile, options)).toThrow(/target accuracy|risk/);
  });
});
