import { describe, expect, it } from 'vitest';
import { PceeError } from '../errors/index.js';
import { createTraces, type Traces } from '../traces/index.js';
import { sumContentHashes, tracesContentHash } from './content-hash.js';

const LOGITS = [
  [
    [0.5, -1.25, 2.0],
    [1.0, 0.0, -0.5],
  ],
  [
    [3.0, 1.0, 0.25],
    [-2.0, 0.75, 1.5],
  ],
  [
    [0.1, 0.2, 0.3],
    [0.4, 0.5, 0.6],
  ],
];
const LABELS = [1, 0, 2];

function traces(samples: number[], type: 'float32' | 'float64' = 'float32'): Traces {
  const flat = samples.flatMap((n) => LOGITS[n]!.flat());
  const logits = type === 'float32' ? Float32Array.from(flat) : Float64Array.from(Float32Array.from(flat));
  return createTraces(
    logits,
    Int32Array.from(samples, (n) => LABELS[n]!),
    {
      samples: samples.length,
      exits: 2,
      classes: 3,
    },
  );
}

describe('traces content hash', () => {
  it('golden: Σ sha256(label int32 LE ‖ logits float32 LE) mod 2^256, computed with Python hashlib', () => {
    expect(tracesContentHash(traces([0]))).toBe(
      'e9fdba26c5c1e2fdcd8a56174d7f99b239777de468aa712e47235f47f2822740',
    );
    expect(tracesContentHash(traces([0, 1, 2]))).toBe(
      '57a13704876926275f369756c85dfe709276d4ef6618c6583d260e1b1e8f607a',
    );
  });

  it('does not depend on sample order or on the logits dtype', () => {
    const expected = tracesContentHash(traces([0, 1, 2]));
    expect(tracesContentHash(traces([2, 0, 1]))).toBe(expected);
    expect(tracesContentHash(traces([0, 1, 2], 'float64'))).toBe(expected);
  });

  it('the hashes of disjoint shards sum to the hash of their union', () => {
    const whole = tracesContentHash(traces([0, 1, 2]));
    expect(sumContentHashes([tracesContentHash(traces([0])), tracesContentHash(traces([1, 2]))])).toBe(whole);
  });

  it('changes with any label or logit', () => {
    const base = tracesContentHash(traces([0, 1]));
    const relabelled = createTraces(traces([0, 1]).logits, Int32Array.from([1, 1]), {
      samples: 2,
      exits: 2,
      classes: 3,
    });
    expect(tracesContentHash(relabelled)).not.toBe(base);
    const nudged = traces([0, 1]);
    (nudged.logits as Float32Array)[5] += 1e-3;
    expect(tracesContentHash(nudged)).not.toBe(base);
  });

  it('carries past 2^256 (wraps around)', () => {
    const max = 'f'.repeat(64);
    expect(sumContentHashes([max, `${'0'.repeat(63)}1`])).toBe('0'.repeat(64));
    expect(sumContentHashes([max, max])).toBe(`${'f'.repeat(63)}e`);
  });

  it('rejects a malformed hash', () => {
    expect(() => sumContentHashes(['xyz'])).toThrow(PceeError);
  });
});
