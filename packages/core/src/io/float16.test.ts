import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { narrowBfloat16, widenBfloat16 } from './bfloat16.js';
import { float16BitsToNumber, narrowFloat16, numberToFloat16Bits, widenFloat16 } from './float16.js';
import { readNpz } from './npz.js';

const allBits = Uint16Array.from({ length: 65536 }, (_, bits) => bits);

describe('float16', () => {
  it('round-trips all 65536 half values exactly (NaN stays NaN)', () => {
    const widened = widenFloat16(allBits);
    const narrowed = narrowFloat16(widened);
    let nans = 0;
    for (let bits = 0; bits < 65536; bits++) {
      const isNotANumber = (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
      if (isNotANumber) {
        nans++;
        expect(Number.isNaN(widened[bits])).toBe(true);
        expect(Number.isNaN(float16BitsToNumber(narrowed[bits]!))).toBe(true);
      } else if (narrowed[bits] !== bits) {
        expect.fail(`half 0x${bits.toString(16)} → ${widened[bits]} → 0x${narrowed[bits]!.toString(16)}`);
      }
    }
    expect(nans).toBe(2 * 1023);
  });

  it.each([
    [0x0000, 0],
    [0x8000, -0],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x7bff, 65504],
    [0x7c00, Number.POSITIVE_INFINITY],
    [0xfc00, Number.NEGATIVE_INFINITY],
  ])('decodes 0x%s to %s', (bits, value) => {
    expect(Object.is(float16BitsToNumber(bits), value)).toBe(true);
    expect(numberToFloat16Bits(value)).toBe(bits);
  });

  it.each([
    ['NaN', Number.NaN, 0x7e00],
    ['65519.99 (rounds down to max)', 65519.99, 0x7bff],
    ['65520 (tie to even → Inf)', 65520, 0x7c00],
    ['1e6', 1e6, 0x7c00],
    ['-1e6', -1e6, 0xfc00],
    ['2^-25 (tie to even → 0)', 2 ** -25, 0x0000],
    ['3·2^-26 (above tie → min subnormal)', 3 * 2 ** -26, 0x0001],
    ['1e-10 (underflow)', 1e-10, 0x0000],
    ['-1e-10 (negative underflow keeps sign)', -1e-10, 0x8000],
    ['1 + 2^-11 (tie to even → 1)', 1 + 2 ** -11, 0x3c00],
    ['1 + 3·2^-11 (tie to even → up)', 1 + 3 * 2 ** -11, 0x3c02],
    ['(2^-14 - 2^-25) (tie at the normal boundary → 2^-14)', 2 ** -14 - 2 ** -25, 0x0400],
  ])('rounds %s', (_, value, bits) => {
    expect(numberToFloat16Bits(value)).toBe(bits);
  });

  it('matches numpy astype(float16) from float64 and float32 sources', () => {
    const golden = readNpz(readFileSync(new URL('./fixtures/float16-rounding.npz', import.meta.url)));
    for (const [from, to] of [
      ['from64', 'to64'],
      ['from32', 'to32'],
    ] as const) {
      const sources = golden.get(from)!.data as Float64Array | Float32Array;
      const expected = golden.get(to)!.data as Float32Array;
      expect(sources.length).toBeGreaterThan(300);
      const actual = widenFloat16(narrowFloat16(sources));
      expect([...actual]).toEqual([...expected]);
    }
  });

  it('narrows float32 arrays (integer fast path) exactly like the generic path', () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 1, maxLength: 64 }), (words) => {
        const singles = new Float32Array(words.buffer);
        const fast = narrowFloat16(singles);
        return singles.every((value, index) => {
          const generic = numberToFloat16Bits(value);
          return Number.isNaN(value) ? (fast[index]! & 0x7fff) === 0x7e00 : fast[index] === generic;
        });
      }),
      { numRuns: 2000 },
    );
    const edges = Float32Array.of(
      65519,
      65520,
      65536,
      2 ** -25,
      2 ** -25 * 1.0000001,
      2 ** -14,
      -(2 ** -24) * 1.5,
    );
    expect([...narrowFloat16(edges)]).toEqual([...edges].map(numberToFloat16Bits));
  });

  it('narrows any double to the nearest half (ties to even)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, min: -70000, max: 70000 }), (value) => {
        const bits = numberToFloat16Bits(value);
        const rounded = float16BitsToNumber(bits);
        if (Math.abs(value) >= 65520) return rounded === Math.sign(value) * Number.POSITIVE_INFINITY;
        const error = Math.abs(rounded - value);
        // Neighbours one unit away (same sign) are never strictly closer.
        for (const neighbour of [bits - 1, bits + 1]) {
          if ((neighbour & 0x7fff) >= 0x7c00 || neighbour < 0 || neighbour > 0xffff) continue;
          if ((neighbour & 0x8000) !== (bits & 0x8000)) continue;
          const distance = Math.abs(float16BitsToNumber(neighbour) - value);
          if (distance < error || (distance === error && (bits & 1) === 1)) return false;
        }
        return true;
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('bfloat16', () => {
  it('round-trips all 65536 bfloat16 values (NaN stays NaN)', () => {
    const widened = widenBfloat16(allBits);
    const narrowed = narrowBfloat16(widened);
    for (let bits = 0; bits < 65536; bits++) {
      if (Number.isNaN(widened[bits]))
        expect(Number.isNaN(widenBfloat16(narrowed.subarray(bits, bits + 1))[0])).toBe(true);
      else if (narrowed[bits] !== bits)
        expect.fail(`bfloat16 0x${bits.toString(16)} → 0x${narrowed[bits]!.toString(16)}`);
    }
  });

  it.each([
    [1, 0x3f80],
    [-2.5, 0xc020],
    [1 + 2 ** -8, 0x3f80], // tie → even
    [1 + 3 * 2 ** -8, 0x3f82], // tie → even (up)
    [3.4e38, 0x7f80], // rounds past the largest bfloat16 → Inf
  ])('narrows %s to 0x%s', (value, bits) => {
    expect(narrowBfloat16(Float32Array.of(value))[0]).toBe(bits);
  });
});
