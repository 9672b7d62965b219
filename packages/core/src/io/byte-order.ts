/**
 * Byte-order helpers. Typed arrays use the host's byte order; the files we read are almost
 * always little-endian, so reading is a zero-copy view on little-endian hosts and a swap only
 * when the file and the host disagree.
 */

/** True on little-endian hosts (every mainstream CPU and browser). */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Returns a copy of `bytes` with every `itemSize`-byte element reversed in place.
 *
 * @param itemSize element width in bytes (1, 2, 4 or 8); `bytes.length` must be a multiple of it
 */
export function swapBytes(bytes: Uint8Array, itemSize: number): Uint8Array {
  const swapped = new Uint8Array(bytes.length);
  for (let start = 0; start < bytes.length; start += itemSize) {
    for (let offset = 0; offset < itemSize; offset++) {
      swapped[start + offset] = bytes[start + itemSize - 1 - offset]!;
    }
  }
  return swapped;
}
