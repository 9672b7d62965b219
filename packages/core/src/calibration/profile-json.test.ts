import { describe, expect, it } from 'vitest';
import { InvalidProfileError, PceeError, ProfileMismatchError } from '../errors/index.js';
import { syntheticTraces } from '../test-support/random-traces.js';
import { createTraces } from '../traces/index.js';
import { calibrate, mergeProfiles } from './calibration-profile.js';
import { assertProfileMatches } from './profile-compatibility.js';
import { parseProfile, serializeProfile } from './profile-json.js';

const traces = syntheticTraces(300, 4, 5, 7);
const profile = calibrate(traces, { model: { id: 'tiny', fingerprint: 'f'.repeat(64) } });
const text = serializeProfile(profile);

describe('calibration profile JSON (pcee-profile v1)', () => {
  it('round-trips exactly', () => {
    const parsed = parseProfile(text);
    expect(parsed.model).toEqual(profile.model);
    expect(parsed.costs).toEqual(profile.costs);
    parsed.diagrams.forEach((diagram, exit) => {
      expect(Array.from(diagram.count)).toEqual(Array.from(profile.diagrams[exit]!.count));
      expect(Array.from(diagram.sumConfidence)).toEqual(Array.from(profile.diagrams[exit]!.sumConfidence));
    });
    expect(serializeProfile(parsed)).toBe(text);
  });

  const json = JSON.parse(text);
  it.each([
    ['truncated JSON', text.slice(0, text.length / 2), /not valid JSON.*truncated/],
    [
      'another format',
      JSON.stringify({ ...json, format: 'other' }),
      /not a calibration profile.*create one by calibrating/,
    ],
    [
      'an unknown version',
      JSON.stringify({ ...json, version: 2 }),
      /version 2.*reads version 1.*recalibrate/,
    ],
    ['a non-object', '42', /not a calibration profile/],
    ['a bad field', JSON.stringify({ ...json, samples: 'many' }), /samples/],
    [
      'correct above count',
      JSON.stringify({
        ...json,
        exits: json.exits.map((e: { correct: number[]; count: number[] }, i: number) =>
          i === 1 ? { ...e, correct: e.count.map((c) => c + 1) } : e,
        ),
      }),
      /correct exceeds count/,
    ],
    ['diagrams missing', JSON.stringify({ ...json, exits: json.exits.slice(1) }), /4 exits but holds 3/],
    [
      'decreasing costs',
      JSON.stringify({ ...json, costs: { ...json.costs, exits: [4, 3, 2, 1] } }),
      /cumulative/,
    ],
  ])('rejects %s with a clear InvalidProfileError', (_name, input, message) => {
    expect(() => parseProfile(input, 'p.json')).toThrow(InvalidProfileError);
    expect(() => parseProfile(input, 'p.json')).toThrow(message);
  });

  it.each([
    ['exits', { exits: 5, classes: 5 }, /4 exits but traces "t" has 5.*pcee calibrate/],
    ['classes', { exits: 4, classes: 10 }, /5 classes but traces "t" has 10/],
  ])('names a mismatch in %s against traces', (_name, shape, message) => {
    expect(() => assertProfileMatches(profile, { label: 'traces "t"', ...shape })).toThrow(
      ProfileMismatchError,
    );
    expect(() => assertProfileMatches(profile, { label: 'traces "t"', ...shape })).toThrow(message);
  });

  it('names a mismatch in model id and weights', () => {
    const target = { label: 'model "other"', exits: 4, classes: 5 };
    expect(() => assertProfileMatches(profile, { ...target, id: 'other' })).toThrow(
      /calibrated for model "tiny"/,
    );
    expect(() =>
      assertProfileMatches(profile, { ...target, id: 'tiny', fingerprint: 'a'.repeat(64) }),
    ).toThrow(/model files changed/);
  });

  it('merges shard profiles into the whole-set profile', () => {
    const half = (from: number, to: number) =>
      createTraces(traces.logits.slice(from * 20, to * 20), traces.labels.slice(from, to), {
        samples: to - from,
        exits: 4,
        classes: 5,
      });
    const options = { model: { id: 'tiny', fingerprint: 'f'.repeat(64) } };
    const merged = mergeProfiles([calibrate(half(0, 100), options), calibrate(half(100, 300), options)]);
    expect(merged.samples).toBe(300);
    merged.diagrams.forEach((diagram, exit) => {
      expect(Array.from(diagram.correct)).toEqual(Array.from(profile.diagrams[exit]!.correct));
    });
    expect(() => mergeProfiles([profile, calibrate(traces, { bins: 10 })])).toThrow(PceeError);
  });
});
