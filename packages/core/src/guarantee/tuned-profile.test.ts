import { describe, expect, it } from 'vitest';
import {
  calibrate,
  describeGuarantee,
  mergeProfiles,
  parseProfile,
  scoreExits,
  serializeProfile,
  type TunedOperatingPoint,
} from '../calibration/index.js';
import { PceeError } from '../errors/index.js';
import { compilePolicy, evaluatePolicy } from '../policy/index.js';
import { syntheticTraces } from '../test-support/random-traces.js';
import { createTraces, type Traces } from '../traces/index.js';
import { tuneForAccuracy } from './learn-then-test.js';
import { accuracyOperatingPoint, compileTunedPolicy } from './tuned-operating-point.js';

const model = { id: 'tiny', fingerprint: 'a'.repeat(64) };
const whole = syntheticTraces(1200, 4, 5, 41);

function slice(traces: Traces, from: number, to: number): Traces {
  const width = traces.exits * traces.classes;
  return createTraces(traces.logits.slice(from * width, to * width), traces.labels.slice(from, to), {
    samples: to - from,
    exits: traces.exits,
    classes: traces.classes,
  });
}

describe('profiles with calibrationData and tuned', () => {
  it('merging k shard profiles is byte-identical to calibrating on the whole set', () => {
    const options = { model, recordContentHash: true } as const;
    const expected = serializeProfile(calibrate(whole, options));
    for (const cuts of [
      [0, 600, 1200],
      [0, 100, 250, 900, 1200],
      [0, 1, 1199, 1200],
    ]) {
      const shards = cuts.slice(1).map((end, index) => calibrate(slice(whole, cuts[index]!, end), options));
      expect(serializeProfile(mergeProfiles(shards))).toBe(expected);
      // In any order.
      expect(serializeProfile(mergeProfiles([...shards].reverse()))).toBe(expected);
    }
    expect(JSON.parse(expected).calibrationData.samples).toBe(1200);
  });

  it('a merge with a shard lacking calibrationData has none, and drops a tuned point', () => {
    const hashed = calibrate(slice(whole, 0, 600), { model, recordContentHash: true });
    const bare = calibrate(slice(whole, 600, 1200), { model });
    const tuned = { ...hashed, tuned: { policy: 'pcee', delta: 0.9 } as unknown as TunedOperatingPoint };
    const merged = mergeProfiles([tuned, bare]);
    expect(merged.calibrationData).toBeUndefined();
    expect(merged.tuned).toBeUndefined();
  });

  const calibration = calibrate(slice(whole, 0, 600), { model, recordContentHash: true });
  const holdout = scoreExits(slice(whole, 600, 1200));
  const tuning = tuneForAccuracy(holdout, calibration, { targetAccuracy: 0.7 });
  const tunedProfile = { ...calibration, tuned: accuracyOperatingPoint(tuning, 'b'.repeat(64)) };

  it('the tuned point round-trips through JSON and compiles to the tuned δ', () => {
    const text = serializeProfile(tunedProfile);
    const parsed = parseProfile(text);
    expect(parsed.tuned).toEqual(tunedProfile.tuned);
    expect(parsed.calibrationData).toEqual(calibration.calibrationData);
    expect(serializeProfile(parsed)).toBe(text);
    const compiled = compileTunedPolicy(parsed);
    expect(compiled.delta).toBe(tuning.chosen!.delta);
    expect(evaluatePolicy(holdout, compiled, parsed.costs).accuracy).toBe(tuning.chosen!.accuracy);
    expect(JSON.parse(text).tuned.guarantee).toEqual({
      targetAccuracy: 0.7,
      risk: 0.05,
      method: 'learn-then-test, fixed sequence, exact binomial (Clopper-Pearson)',
    });
  });

  it('per-exit thresholds compile per exit', () => {
    const exitDeltas = [0.95, 0.6, 0.8, 0.5];
    const profile = {
      ...calibration,
      tuned: { ...tunedProfile.tuned, delta: null, exitDeltas, guarantee: null },
    };
    const parsed = parseProfile(serializeProfile(profile));
    const compiled = compileTunedPolicy(parsed);
    expect(compiled.exitDeltas).toEqual(exitDeltas);
    expect(compiled.delta).toBe(0.6);
    expect(Array.from(compiled.tables[1]!.exit)).toEqual(
      Array.from(compilePolicy(calibration, 'pcee', 0.6).tables[1]!.exit),
    );
    expect(Array.from(compiled.tables[0]!.exit)).toEqual(
      Array.from(compilePolicy(calibration, 'pcee', 0.95).tables[0]!.exit),
    );
  });

  it('the guarantee reads as one sentence', () => {
    expect(describeGuarantee(tunedProfile.tuned)).toBe(
      'With probability ≥ 95% over the draw of the 600 holdout samples, accuracy on new data from the same distribution is ≥ 70.00% (learn-then-test, fixed sequence, exact binomial (Clopper-Pearson); assumes exchangeable data, not distribution shift).',
    );
    expect(describeGuarantee({ ...tunedProfile.tuned, guarantee: null })).toBeNull();
  });

  it.each([
    ['exitDeltas of another length', { exitDeltas: [0.9, 0.9] }, /exitDeltas has 2 thresholds for 4 exits/],
    ['neither delta nor exitDeltas', { delta: null }, /neither delta nor exitDeltas/],
    ['a risk of 1', { guarantee: { targetAccuracy: 0.9, risk: 1, method: 'x' } }, /risk/],
    ['an unknown policy', { policy: 'oracle' }, /policy/],
  ])('a tuned field with %s is an InvalidProfileError', (_, change, message) => {
    const json = JSON.parse(serializeProfile(tunedProfile));
    json.tuned = { ...json.tuned, ...change };
    expect(() => parseProfile(JSON.stringify(json), 'p.json')).toThrow(PceeError);
    expect(() => parseProfile(JSON.stringify(json), 'p.json')).toThrow(message);
  });

  it('compileTunedPolicy on an untuned profile says how to tune', () => {
    expect(() => compileTunedPolicy(calibration)).toThrow(
      /no tuned operating point; give a δ, or tune the profile first/,
    );
  });

  it('compilePolicy with a per-exit list of the wrong length is a PceeError', () => {
    expect(() => compilePolicy(calibration, 'pcee', [0.9, 0.9])).toThrow(/one δ per exit: got 2 for 4 exits/);
  });
});

describe('error hints', () => {
  it('name the way out for front ends to word, and keep it out of the problem', () => {
    const calibration = calibrate(syntheticTraces(200, 3, 4, 3));
    try {
      compileTunedPolicy(calibration);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PceeError);
      const { problem, hint, message } = error as PceeError;
      expect(hint?.action).toBe('delta-or-tune');
      expect(problem).toBe('the profile has no tuned operating point');
      expect(message).toBe(`${problem}; ${hint?.text}`);
      expect(message).not.toMatch(/--|pcee /);
    }
  });
});
