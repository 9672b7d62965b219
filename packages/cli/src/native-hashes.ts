import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';

/**
 * Node's native CRC-32 (`zlib.crc32`, Node ≥ 20.15 and ≥ 22.2), or undefined on older Node,
 * where @pcee/core's portable one is used. Checking a 160 MB `.npz` takes ~50 ms with it and
 * ~600 ms without: most of `pcee calibrate`'s time outside the math.
 */
export const nativeCrc32: ((bytes: Uint8Array) => number) | undefined =
  typeof zlib.crc32 === 'function' ? (bytes) => zlib.crc32(bytes) : undefined;

/**
 * Node's native SHA-256 of bytes (OpenSSL), for the traces' content hash that `pcee calibrate`
 * records and `pcee tune` checks: one digest per sample, 500k of them for a large trace file,
 * ~3× faster than the portable one. `crypto.hash` (Node ≥ 20.12) avoids a Hash object per call.
 */
export const nativeSha256: (bytes: Uint8Array) => Uint8Array =
  typeof crypto.hash === 'function'
    ? (bytes) => crypto.hash('sha256', bytes, 'buffer')
    : (bytes) => crypto.createHash('sha256').update(bytes).digest();
