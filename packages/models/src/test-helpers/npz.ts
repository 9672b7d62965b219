/**
 * A tiny `.npz` reader for the tests only (little-endian, C order; float32/float64/int64/uint8).
 * Not part of the public API: `@pcee/core` ships the real reader.
 */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';

/** One array: its numpy dtype string, shape, and values (int64 widened to float64 numbers). */
export interface NpyArray {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | Uint8Array;
}

/** Parse one `.npy` payload. */
export function parseNpy(bytes: Uint8Array): NpyArray {
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== 'NUMPY') throw new Error('not a .npy file');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
  const dtype = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (dtype === undefined || shapeText === undefined) throw new Error(`bad .npy header: ${header}`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error('fortran order is not supported');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  // Copy into a fresh buffer so the typed array is aligned.
  const body = bytes.slice(headerStart + headerLength);
  switch (dtype) {
    case '<f4':
      return { dtype, shape, data: new Float32Array(body.buffer, 0, count) };
    case '<f8':
      return { dtype, shape, data: new Float64Array(body.buffer, 0, count) };
    case '|u1':
      return { dtype, shape, data: new Uint8Array(body.buffer, 0, count) };
    case '<i8': {
      const wide = new BigInt64Array(body.buffer, 0, count);
      return { dtype, shape, data: Float64Array.from(wide, (v) => Number(v)) };
    }
    default:
      throw new Error(`unsupported dtype ${dtype}`);
  }
}

/** Read every array of an `.npz` file (stored or deflated), keyed by name without `.npy`. */
export function readNpz(path: string): Record<string, NpyArray> {
  const entries = unzipSync(new Uint8Array(readFileSync(path)));
  const result: Record<string, NpyArray> = {};
  for (const [name, bytes] of Object.entries(entries)) result[name.replace(/\.npy$/, '')] = parseNpy(bytes);
  return result;
}
