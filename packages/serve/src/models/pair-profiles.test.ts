import type { CalibrationProfile } from '@pcee/core';
import { modelDir } from '@pcee/models';
import { describe, expect, it } from 'vitest';
import { pairProfiles } from './pair-profiles.js';
import type { ProfileFile } from './profile-file.js';

const profileFor = (id: string | null, path = `${id}.json`): ProfileFile => ({
  path,
  profile: { model: { id, exits: 4, classes: 10, fingerprint: null } } as unknown as CalibrationProfile,
});
const small = modelDir('fmnist-cnn-small');
const large = modelDir('fmnist-cnn-large');

describe('pairProfiles', () => {
  it('matches profiles to models by the model id they record, in any order', async () => {
    const pairs = await pairProfiles(
      [small, large],
      [profileFor('fmnist-cnn-large'), profileFor('fmnist-cnn-small')],
    );
    expect(pairs.map((pair) => [pair.dir, pair.profile.model.id])).toEqual([
      [small, 'fmnist-cnn-small'],
      [large, 'fmnist-cnn-large'],
    ]);
  });

  it('pairs a profile without a model id by position', async () => {
    const pairs = await pairProfiles([small], [profileFor(null, 'anonymous.json')]);
    expect(pairs[0]!.profile.model.id).toBeNull();
  });

  it.each<[string, string[], ProfileFile[], RegExp]>([
    [
      'a profile of another model',
      [large],
      [profileFor('fmnist-cnn-small')],
      /no profile for model "fmnist-cnn-large" .*unmatched: fmnist-cnn-small.json \(for fmnist-cnn-small\)/,
    ],
    [
      'a missing profile',
      [small, large],
      [profileFor('fmnist-cnn-small')],
      /no profile for model "fmnist-cnn-large"/,
    ],
    [
      'a profile left over',
      [small],
      [profileFor('fmnist-cnn-small'), profileFor('fmnist-vit-small')],
      /profile fmnist-vit-small.json is for "fmnist-vit-small", which is not among the models served/,
    ],
    [
      'two profiles for one model',
      [small],
      [profileFor('fmnist-cnn-small', 'a.json'), profileFor('fmnist-cnn-small', 'b.json')],
      /2 profiles are for model "fmnist-cnn-small" \(a.json, b.json\)/,
    ],
    ['a folder without model.json', ['/nonexistent-folder'], [profileFor(null)], /is not a model package/],
  ])('refuses %s', async (_name, dirs, profiles, message) => {
    await expect(pairProfiles(dirs, profiles)).rejects.toThrow(message);
  });
});
