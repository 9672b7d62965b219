import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { InvalidArgumentError } from '../errors/index.js';
import { HOST_IS_LITTLE_ENDIAN, swapBytes } from '../io/index.js';
import type { Traces } from '../traces/index.js';

/**
 * What a profile records about the data it was calibrated on (optional profile field
 * `calibrationData`), so that `tune` can refuse to certify a δ on that same data.
 */
export interface CalibrationData {
  /** `tracesContentHash` of the calibration traces: 64 lower-case hex digits. */
  readonly contentHash: string;
  /** Samples hashed. */
  readonly samples: number;
}

const DIGEST_BYTES = 32;

/**
 * An order-independent content hash of labelled traces: the sum modulo 2^256 of one
 * sha256 per sample, over the sample's label (int32, little-endian) followed by its logits
 * `[L, C]` as float32 little-endian (float16 and float64 inputs hash by their float32 values).
 *
 * Why a sum of per-sample hashes (a multiset hash) rather than one sha256 of the file: the
 * same samples hash the same in any order and any file format, and the hash of a union of
 * disjoint shards is the sum of the shards' hashes (`sumContentHashes`), so a merged profile
 * records exactly the hash a profile of the whole set would.
 *
 * @param digest SHA-256 of bytes (32 bytes). Default: a portable one (~4 µs per 500k-sample
 *   row of 8 × 10 logits); a platform's native one is ~3× faster (Node: `crypto.hash`), and
 *   hashing is most of `pcee calibrate`'s time on large traces. The hash is the same either way.
 * @returns 64 lower-case hex digits.
 */
export function tracesContentHash(
  traces: Traces,
  digest: (bytes: Uint8Array) => Uint8Array = sha256,
): string {
  const { samples, exits, classes, logits, labels } = traces;
  const width = exits * classes;
  const row = new Float32Array(width + 1);
  const rowLabel = new Int32Array(row.buffer, 0, 1);
  const rowBytes = new Uint8Array(row.buffer);
  const total = new Uint32Array(DIGEST_BYTES / 4);
  for (let n = 0; n < samples; n++) {
    rowLabel[0] = labels[n]!;
    for (let k = 0; k < width; k++) row[k + 1] = logits[n * width + k]!;
    addDigest(total, digest(HOST_IS_LITTLE_ENDIAN ? rowBytes : swapBytes(rowBytes, 4)));
  }
  return limbsToHex(total);
}

/**
 * Sums content hashes modulo 2^256: the content hash of the union of disjoint sample sets.
 *
 * @param hashes 64-hex-digit hashes from `tracesContentHash`.
 * @throws InvalidArgumentError for a malformed hash.
 */
export function sumContentHashes(hashes: readonly string[]): string {
  const total = new Uint32Array(DIGEST_BYTES / 4);
  for (const hash of hashes) {
    if (!/^[0-9a-f]{64}$/.test(hash)) {
      throw new InvalidArgumentError(`content hash "${hash}" is not 64 lower-case hex digits`);
    }
    addDigest(total, hexToBytes(hash));
  }
  return limbsToHex(total);
}

/** total += digest (mod 2^256); both big-endian, total as eight 32-bit limbs. */
function addDigest(total: Uint32Array, digest: Uint8Array): void {
  let carry = 0;
  for (let limb = total.length - 1; limb >= 0; limb--) {
    const offset = limb * 4;
    const word =
      ((digest[offset]! << 24) |
        (digest[offset + 1]! << 16) |
        (digest[offset + 2]! << 8) |
        digest[offset + 3]!) >>>
      0;
    const sum = total[limb]! + word + carry;
    total[limb] = sum >>> 0;
    carry = sum > 0xffffffff ? 1 : 0;
  }
}

function limbsToHex(total: Uint32Array): string {
  const bytes = new Uint8Array(DIGEST_BYTES);
  total.forEach((word, limb) => {
    bytes[limb * 4] = word >>> 24;
    bytes[limb * 4 + 1] = (word >>> 16) & 0xff;
    bytes[limb * 4 + 2] = (word >>> 8) & 0xff;
    bytes[limb * 4 + 3] = word & 0xff;
  });
  return bytesToHex(bytes);
}
