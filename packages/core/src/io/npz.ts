import { inflateSync, type Zippable, zipSync } from 'fflate';
import { InvalidArgumentError, InvalidFileError, PceeError } from '../errors/index.js';
import { crc32 } from './crc32.js';
import { readNpy, writeNpy } from './npy.js';
import type { Tensor } from './tensor.js';
import { readZipDirectory, type ZipEntry, zipEntryDataRange } from './zip-directory.js';

/** Tensors by name, as `.npz` and `.safetensors` hold them. */
export type NamedTensors = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

/** Options of {@link writeNpz}. */
export interface WriteNpzOptions {
  /** Deflate every entry like `np.savez_compressed` (default false: stored, like `np.savez`). */
  readonly compress?: boolean;
}

/** Options of {@link readNpz} (and of `readTraces`, which passes them on). */
export interface ReadNpzOptions {
  /**
   * The CRC-32 (IEEE, as zip records it) of bytes, as an unsigned 32-bit integer. Default: a
   * portable table-driven implementation (~0.3 GB/s). A platform's native one is ~10× faster
   * (Node ≥ 20.15 and 22.2: `zlib.crc32`), which matters for traces of hundreds of MB.
   */
  readonly crc32?: (bytes: Uint8Array) => number;
}

/** 1980-01-01, the earliest time a zip entry can record. */
const ZIP_EPOCH = new Date(1980, 0, 1);

/** Deflate cannot expand data by more than ~1032:1; a larger claim means a corrupt size field. */
const MAX_DEFLATE_RATIO = 1032;

/** True when `bytes` start like a zip archive (a local file header, or an empty archive). */
export function isZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    ((bytes[2] === 0x03 && bytes[3] === 0x04) || (bytes[2] === 0x05 && bytes[3] === 0x06))
  );
}

/**
 * Reads a `.npz` archive written by `np.savez` (stored) or `np.savez_compressed` (deflate).
 *
 * Stored entries are not copied: their arrays are views of `bytes` where the data is aligned
 * for its type (numpy and `writeNpz` align it), so keep `bytes` unchanged while they are used.
 *
 * @returns the arrays by entry name, without the `.npy` suffix, in archive order
 * @throws InvalidFileError for bytes that are not a zip, a truncated or corrupt archive, an entry
 *   whose data does not match its recorded CRC-32, or an entry that is not a readable `.npy`
 *   (the message names the entry)
 */
export function readNpz(bytes: Uint8Array, options: ReadNpzOptions = {}): Map<string, Tensor> {
  if (!isZip(bytes)) {
    throw new InvalidFileError('not a .npz archive: it does not start with the zip signature PK\\x03\\x04');
  }
  const checksum = options.crc32 ?? crc32;
  const tensors = new Map<string, Tensor>();
  for (const entry of readZipDirectory(bytes)) {
    // Directories and stray files: np.savez writes only `<name>.npy` entries.
    if (entry.name.endsWith('/')) continue;
    const data = entryData(bytes, entry);
    checkEntryChecksum(entry.name, checksum(data), entry.crc32);
    const name = entry.name.endsWith('.npy') ? entry.name.slice(0, -4) : entry.name;
    try {
      tensors.set(name, readNpy(data));
    } catch (error) {
      if (!(error instanceof PceeError)) throw error;
      throw new InvalidFileError(`.npz entry "${entry.name}": ${error.message}`, { cause: error });
    }
  }
  return tensors;
}

/** An entry's uncompressed bytes: a view for stored entries, inflated for deflated ones. */
function entryData(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  checkEntrySizes(entry, bytes.length);
  const { start, end } = zipEntryDataRange(bytes, entry);
  if (entry.method === 0) return bytes.subarray(start, end);
  let data: Uint8Array;
  try {
    data = inflateSync(bytes.subarray(start, end), { out: new Uint8Array(entry.size) });
  } catch (error) {
    throw new InvalidFileError(
      `.npz archive is truncated or corrupt (entry "${entry.name}": ${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
  if (data.length !== entry.size) {
    throw new InvalidFileError(
      `.npz archive is truncated or corrupt (entry "${entry.name}" inflates to ${data.length} bytes, not ${entry.size})`,
    );
  }
  return data;
}

/** A stored entry with a flipped bit inflates fine and parses fine: only its CRC-32 tells. */
function checkEntryChecksum(name: string, actual: number, recorded: number): void {
  if (recorded !== actual) {
    const hex = (value: number) => `0x${value.toString(16).padStart(8, '0')}`;
    throw new InvalidFileError(
      `.npz entry "${name}" is corrupt: its data has CRC-32 ${hex(actual)} but the archive records ${hex(recorded)}; the file was damaged after it was written, so write or copy it again`,
    );
  }
}

/** Rejects entries whose size fields cannot be right, before anything is allocated for them. */
function checkEntrySizes(entry: ZipEntry, archiveLength: number): void {
  const plausible =
    entry.compressedSize <= archiveLength &&
    (entry.method === 0
      ? entry.size === entry.compressedSize
      : entry.size <= entry.compressedSize * MAX_DEFLATE_RATIO + 1024);
  if (!plausible) {
    throw new InvalidFileError(
      `.npz entry "${entry.name}" is corrupt: it claims ${entry.compressedSize} stored bytes expanding to ${entry.size} in a ${archiveLength}-byte archive`,
    );
  }
  if (entry.method !== 0 && entry.method !== 8) {
    throw new InvalidFileError(
      `.npz entry "${entry.name}" uses zip compression method ${entry.method}; only stored (0) and deflate (8) are supported, as numpy writes`,
    );
  }
}

/**
 * Writes tensors as a `.npz` archive that `np.load` reads: one `<name>.npy` entry each.
 *
 * @throws InvalidArgumentError for an empty or `/`-containing name, or a tensor `.npy`
 *   cannot hold (bfloat16)
 */
export function writeNpz(tensors: NamedTensors, options: WriteNpzOptions = {}): Uint8Array {
  const entries: Zippable = {};
  const pairs: [string, Tensor][] = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  for (const [name, tensor] of pairs) {
    if (name === '' || name.includes('/')) {
      throw new InvalidArgumentError(`.npz array name "${name}" must be non-empty and contain no '/'`);
    }
    // Zippable is a plain object, so build it with defineProperty to keep "__proto__" a name.
    Object.defineProperty(entries, `${name}.npy`, {
      value: writeNpy(tensor),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  // A fixed timestamp (the zip epoch) makes the same tensors give the same bytes, so written
  // traces and fixtures are reproducible and diff cleanly.
  return zipSync(entries, { level: options.compress ? 6 : 0, mtime: ZIP_EPOCH });
}
