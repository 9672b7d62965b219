import { compileTunedPolicy, HINT_ACTIONS, hint, PceeError } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import { describeError } from './error-hints.js';

describe('describeError', () => {
  it('words every hint core offers as flags or commands', () => {
    for (const action of HINT_ACTIONS) {
      const text = describeError(new PceeError('INVALID_ARGUMENT', 'problem', { hint: hint(action) }));
      expect(text.startsWith('problem; ')).toBe(true);
      expect(text).toMatch(/--|pcee /);
    }
  });

  it('keeps a hint-less message as it is', () => {
    expect(describeError(new PceeError('INVALID_ARGUMENT', 'plain problem'))).toBe('plain problem');
  });

  it('turns core words into CLI words', () => {
    try {
      compileTunedPolicy({ tuned: undefined } as never);
      expect.unreachable();
    } catch (error) {
      expect(describeError(error as PceeError)).toBe(
        'the profile has no tuned operating point; give --delta, or tune it first: pcee tune <profile.json> <holdout> --target-accuracy 0.9 --out tuned.json',
      );
    }
  });
});
