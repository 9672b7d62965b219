import { describe, expect, it } from 'vitest';
import { bundledProfile } from '../test-support/bundled-models.js';
import { compileServing, resolveServingPolicy } from './serving-policy.js';

const profile = bundledProfile('fmnist-cnn-small');
const exits = profile.diagrams.length;
/** One δ per exit, as pcee tune --per-exit writes: strict early, 0.9 the loosest non-final one, 0 last. */
const exitDeltas = [...Array.from({ length: exits - 2 }, (_, l) => 0.97 - 0.01 * l), 0.9, 0];
const tuned = (point: Record<string, unknown>) =>
  ({
    ...profile,
    tuned: { policy: 'pcee', delta: 0.93, abstain: false, holdout: {}, guarantee: null, ...point },
  }) as typeof profile;

describe('resolveServingPolicy', () => {
  it.each<[string, typeof profile, Parameters<typeof resolveServingPolicy>[1], Record<string, unknown>]>([
    [
      '--delta alone',
      profile,
      { delta: 0.9 },
      { policy: 'pcee', delta: 0.9, abstain: false, source: 'options' },
    ],
    [
      '--delta, --policy and --abstain',
      profile,
      { delta: 0.8, policy: 'confidence', abstain: true },
      { policy: 'confidence', delta: 0.8, abstain: true },
    ],
    [
      'a tuned profile',
      tuned({ policy: 'pcee-ws', delta: 0.95, abstain: true }),
      {},
      { policy: 'pcee-ws', delta: 0.95, abstain: true, source: 'tuned profile' },
    ],
    [
      'a tuned profile with --no-abstain',
      tuned({ abstain: true }),
      { abstain: false },
      { delta: 0.93, abstain: false },
    ],
    [
      '--delta over a tuned profile keeps its policy',
      tuned({ policy: 'pcee-ws' }),
      { delta: 0.9 },
      { policy: 'pcee-ws', delta: 0.9, source: 'options' },
    ],
    ['per-exit thresholds', tuned({ delta: null, exitDeltas }), {}, { delta: 0.9, exitDeltas }],
  ])('%s', (_name, from, options, expected) => {
    const serving = resolveServingPolicy(from, options, 'm');
    expect(serving).toMatchObject(expected);
    expect(compileServing(from, serving).tables).toHaveLength(exits);
  });

  it.each<[string, typeof profile, Parameters<typeof resolveServingPolicy>[1], RegExp]>([
    [
      'no δ anywhere',
      profile,
      {},
      /no δ for model "m": give --delta <x>, or a profile tuned with pcee tune --out/,
    ],
    [
      '--policy against the tuned one',
      tuned({}),
      { policy: 'confidence' },
      /tuned for policy pcee, not confidence; give --delta <x> to serve confidence/,
    ],
  ])('refuses %s', (_name, from, options, message) => {
    expect(() => resolveServingPolicy(from, options, 'm')).toThrow(message);
  });
});
