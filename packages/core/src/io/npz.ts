import { type UnzipFileInfo, unzipSync, type Zippable, zipSync } from 'fflate';
import { InvalidArgumentError, InvalidFileError, PceeError } from '../errors.js';
import { crc32 } from './crc32.js';
import { readNpy, writeNpy } from './npy.js';
import type { Tensor } from './tensor.js';
import { zipEntryChecksums } from './zip-checksums.js';

/** Tensors by name, as `.npz` and `.safetensors` hold them. */
export type NamedTensors = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

/** Options of {@link writeNpz}. */
export interface WriteNpzOptions {
  /** Deflate every entry like `np.savez_compressed` (default false: stored, like `np.savez`). */
  readonly compress?: boolean;
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
 * @returns the arrays by entry name, without the `.npy` suffix, in archive order
 * @throws InvalidFileError for bytes that are not a zip, a truncated or corrupt archive, an entry
 *   whose data does not match its recorded CRC-32, or an entry that is not a readable `.npy`
 *   (the message names the entry)
 */
export function readNpz(bytes: Uint8Array): Map<string, Tensor> {
  if (!isZip(bytes)) {
    throw new InvalidFileError('not a .npz archive: it does not start with the zip signature PK\\x03\\x04');
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, { filter: (file) => checkEntrySizes(file, bytes.length) });
  } catch (error) {
    if (error instanceof PceeError) throw error;
    throw new InvalidFileError(
      `.npz archive is truncated or corrupt (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
  const checksums = zipEntryChecksums(bytes);
  const tensors = new Map<string, Tensor>();
  for (const [entryName, entryBytes] of Object.entries(entries)) {
    // Directories and stray files: np.savez writes only `<name>.npy` entries.
    if (entryName.endsWith('/')) continue;
    checkEntryChecksum(entryName, entryBytes, checksums.get(entryName));
    const name = entryName.endsWith('.npy') ? entryName.slice(0, -4) : entryName;
    try {
      tensors.set(name, readNpy(entryBytes));
    } catch (error) {
      if (!(error instanceof PceeError)) throw error;
      throw new InvalidFileError(`.npz entry "${entryName}": ${error.message}`, { cause: error });
    }
  }
  return tensors;
}

/** A stored entry with a flipped bit inflates fine and parses fine: only its CRC-32 tells. */
function checkEntryChecksum(name: string, data: Uint8Array, recorded: number | undefined): void {
  const actual = crc32(data);
  if (recorded !== actual) {
    const hex = (value: number | undefined) =>
      value === undefined ? 'none' : `0x${value.toString(16).padStart(8, '0')}`;
    throw new InvalidFileError(
      `.npz entry "${name}" is corrupt: its data has CRC-32 ${hex(actual)} but the archive records ${hex(recorded)}; the file was damaged after it was written, so write or copy it again`,
    );
  }
}

/** Rejects entries whose size fields cannot be right, before fflate allocates for them. */
function checkEntrySizes(file: UnzipFileInfo, archiveLength: number): boolean {
  const plausible =
    file.size <= archiveLength &&
    (file.compression === 0
      ? file.originalSize === file.size
      : file.originalSize <= file.size * MAX_DEFLATE_RATIO + 1024);
  if (!plausible) {
    throw new InvalidFileError(
      `.npz entry "${file.name}" is corrupt: it claims ${file.size} stored bytes expanding to ${file.originalSize} in a ${archiveLength}-byte archive`,
    );
  }
  if (file.compression !== 0 && file.compression !== 8) {
    throw new InvalidFileError(
      `.npz entry "${file.name}" uses zip compression method ${file.compression}; only stored (0) and deflate (8) are supported, as numpy writes`,
    );
  }
  return true;
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
