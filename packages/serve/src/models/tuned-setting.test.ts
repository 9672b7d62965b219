import { describe, expect, it } from 'vitest';
import { readTunedSetting } from './tuned-setting.js';

describe('readTunedSetting', () => {
  it.each<[string, unknown, ReturnType<typeof readTunedSetting>]>([
    ['no tuned entry', { format: 'pcee-profile' }, undefined],
    ['a null entry', { tuned: null }, undefined],
    [
      'a full entry',
      { tuned: { policy: 'pcee-ws', delta: 0.93, abstain: true } },
      { policy: 'pcee-ws', delta: 0.93, abstain: true, problems: [] },
    ],
    ['δ only', { tuned: { delta: 0.9 } }, { delta: 0.9, problems: [] }],
    [
      'extra fields are ignored',
      { tuned: { delta: 0.9, alpha: 0.05, target: 0.95 } },
      { delta: 0.9, problems: [] },
    ],
  ])('%s', (_name, json, expected) => {
    expect(readTunedSetting(json)).toEqual(expected);
  });

  it.each<[string, unknown, RegExp]>([
    ['δ out of range', { tuned: { delta: 1.5 } }, /tuned.delta 1.5 is not a number in \[0, 1\]/],
    ['δ as a string', { tuned: { delta: '0.9' } }, /tuned.delta "0.9"/],
    ['an unknown policy', { tuned: { policy: 'oracle', delta: 0.9 } }, /tuned.policy "oracle"/],
    ['a non-boolean abstain', { tuned: { delta: 0.9, abstain: 'yes' } }, /tuned.abstain "yes"/],
    ['not an object', { tuned: 0.9 }, /"tuned" is not an object/],
  ])('skips %s and says why', (_name, json, message) => {
    const setting = readTunedSetting(json)!;
    expect(setting.problems.join('\n')).toMatch(message);
  });
});
