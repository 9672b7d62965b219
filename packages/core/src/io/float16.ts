/**
 * IEEE 754 binary16 (half precision) ↔ binary32/64 conversion. Exact in both directions
 * for every representable value: subnormals, ±0, ±Infinity and NaN (which stays NaN).
 * Narrowing rounds to nearest, ties to even, as numpy's `astype(np.float16)` does.
 */

/** Decodes one half-precision bit pattern (0..0xffff) to its exact value. */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** Rounds a non-negative value whose fractional part is exact to an integer, ties to even. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Encodes a number as the nearest half-precision bit pattern (ties to even). Magnitudes at or
 * above 65520 become ±Infinity; NaN becomes the quiet NaN 0x7e00.
 *
 * The input is rounded once from its float64 value, so a float64 source does not suffer the
 * double rounding of float64 → float32 → float16.
 */
export function numberToFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const signBit = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  // 65520 is halfway between 65504 (largest half) and 65536; ties go to the even 65536 → Inf.
  if (magnitude >= 65520) return signBit | 0x7c00;
  if (magnitude < 2 ** -14) {
    // Subnormal range: units of 2^-24; scaling by a power of two is exact. A result of 1024
    // is the smallest normal, whose bit pattern 0x0400 follows naturally.
    return signBit | roundHalfEven(magnitude * 2 ** 24);
  }
  let exponent = Math.floor(Math.log2(magnitude));
  // Math.log2 may be off by one next to powers of two; fix it exactly.
  if (2 ** exponent > magnitude) exponent--;
  else if (2 ** (exponent + 1) <= magnitude) exponent++;
  let mantissa = roundHalfEven(magnitude * 2 ** (10 - exponent)) - 1024;
  if (mantissa === 1024) {
    mantissa = 0;
    exponent++;
  }
  if (exponent > 15) return signBit | 0x7c00;
  return signBit | ((exponent + 15) << 10) | mantissa;
}

let widenTable: Float32Array | undefined;

/** All 65536 half values as float32, built on first use (256 KiB) so widening is one lookup. */
function float16Table(): Float32Array {
  if (widenTable === undefined) {
    widenTable = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) widenTable[bits] = float16BitsToNumber(bits);
  }
  return widenTable;
}

/**
 * Widens half-precision bit patterns to float32 values (exact: every half is a float32).
 *
 * @param source half-precision bit patterns, one per element
 * @returns a new `Float32Array` of the same length
 */
export function widenFloat16(source: Uint16Array): Float32Array {
  const table = float16Table();
  const target = new Float32Array(source.length);
  for (let index = 0; index < source.length; index++) target[index] = table[source[index]!]!;
  return target;
}

/**
 * Encodes float32 bit patterns with integer operations only (about 20× faster than the
 * generic path). Exact for float32 sources, which is what traces hold.
 */
function float32BitsToFloat16Bits(word: number): number {
  const signBit = (word >>> 16) & 0x8000;
  const magnitude = word & 0x7fffffff;
  if (magnitude >= 0x7f800000) return signBit | (magnitude > 0x7f800000 ? 0x7e00 : 0x7c00);
  // 0x477ff000 is 65520, the tie that rounds to even 65536, i.e. Infinity.
  if (magnitude >= 0x477ff000) return signBit | 0x7c00;
  if (magnitude < 0x38800000) {
    // Subnormal half: units of 2^-24. At or below 2^-25 (0x33000000) rounds to zero (a tie goes to even 0).
    if (magnitude <= 0x33000000) return signBit;
    const mantissa = (magnitude & 0x7fffff) | 0x800000;
    const shift = 126 - (magnitude >>> 23);
    const halfway = 1 << (shift - 1);
    const remainder = mantissa & ((1 << shift) - 1);
    let result = mantissa >>> shift;
    if (remainder > halfway || (remainder === halfway && (result & 1) === 1)) result++;
    return signBit | result;
  }
  // Rebias the exponent (127 → 15) and round away the 13 extra mantissa bits, ties to even;
  // a carry out of the mantissa correctly bumps the exponent.
  return signBit | ((magnitude - 0x38000000 + 0xfff + ((magnitude >>> 13) & 1)) >>> 13);
}

/**
 * Narrows values to half-precision bit patterns, rounding to nearest (ties to even);
 * magnitudes ≥ 65520 become ±Infinity and NaN becomes 0x7e00 (keeping its sign).
 *
 * @returns a new `Uint16Array` of the same length
 */
export function narrowFloat16(source: Float32Array | Float64Array): Uint16Array {
  const target = new Uint16Array(source.length);
  if (source instanceof Float32Array) {
    // Bit patterns are host-order words, which is what the integer path expects on any host.
    const words = new Uint32Array(source.buffer, source.byteOffset, source.length);
    for (let index = 0; index < words.length; index++)
      target[index] = float32BitsToFloat16Bits(words[index]!);
  } else {
    for (let index = 0; index < source.length; index++) target[index] = numberToFloat16Bits(source[index]!);
  }
  return target;
}
