/**
 * bfloat16 ↔ float32 conversion. A bfloat16 is the upper 16 bits of a float32, so widening
 * is exact and narrowing rounds the dropped 16 bits to nearest, ties to even (as PyTorch does).
 */

/**
 * Widens bfloat16 bit patterns to float32 values (exact).
 *
 * @returns a new `Float32Array` of the same length
 */
export function widenBfloat16(source: Uint16Array): Float32Array {
  const bits = new Uint32Array(source.length);
  for (let index = 0; index < source.length; index++) bits[index] = source[index]! << 16;
  return new Float32Array(bits.buffer);
}

/**
 * Narrows float32 values to bfloat16 bit patterns, rounding to nearest, ties to even;
 * NaN stays a quiet NaN.
 *
 * @returns a new `Uint16Array` of the same length
 */
export function narrowBfloat16(source: Float32Array | Float64Array): Uint16Array {
  const single = source instanceof Float32Array ? source : Float32Array.from(source);
  const bits = new Uint32Array(single.buffer, single.byteOffset, single.length);
  const target = new Uint16Array(single.length);
  for (let index = 0; index < bits.length; index++) {
    const word = bits[index]!;
    if ((word & 0x7fffffff) > 0x7f800000) {
      target[index] = (word >>> 16) | 0x0040;
    } else {
      target[index] = (word + 0x7fff + ((word >>> 16) & 1)) >>> 16;
    }
  }
  return target;
}
