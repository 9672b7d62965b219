import { strFromU8 } from 'fflate';
import { InvalidFileError } from '../errors/index.js';

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const DIRECTORY_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
/** The end-of-directory record is 22 bytes plus a comment of at most 65535 bytes. */
const MAX_END_RECORD = 22 + 0xffff;
/** A 32-bit size or offset with this value means "see the zip64 extra field". */
const ZIP64_MARK = 0xffffffff;

/** One entry of a zip archive's central directory. */
export interface ZipEntry {
  /** Entry name (UTF-8 or code page 437 as the archive flags it). */
  readonly name: string;
  /** Compression method: 0 stored, 8 deflate (others are reported by the reader). */
  readonly method: number;
  /** CRC-32 of the uncompressed data, as the archive records it. */
  readonly crc32: number;
  /** Bytes of (compressed) data in the archive. */
  readonly compressedSize: number;
  /** Bytes of data once uncompressed. */
  readonly size: number;
  /** Offset of the entry's local header in the archive. */
  readonly localHeaderOffset: number;
}

const corrupt = (what: string) => new InvalidFileError(`.npz archive is corrupt: ${what}`);

/**
 * The entries of a zip archive, read from its central directory (which numpy, Python's zipfile
 * and fflate all write), including zip64 sizes and offsets. Reading the directory instead of
 * unzipping everything lets a stored entry be returned as a view of the archive, not a copy.
 *
 * @throws InvalidFileError when the directory cannot be walked
 */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - MAX_END_RECORD); at--) {
    if (view.getUint32(at, true) === END_OF_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) throw corrupt('no end-of-central-directory record');
  let count = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  // Past 65535 entries or 4 GiB the real values live in the zip64 end record.
  if (
    (count === 0xffff || offset === ZIP64_MARK) &&
    end >= 20 &&
    view.getUint32(end - 20, true) === ZIP64_LOCATOR
  ) {
    const zip64End = Number(view.getBigUint64(end - 12, true));
    if (zip64End + 56 > bytes.length || view.getUint32(zip64End, true) !== ZIP64_END_OF_DIRECTORY) {
      throw corrupt('the zip64 end record is missing');
    }
    count = Number(view.getBigUint64(zip64End + 32, true));
    offset = Number(view.getBigUint64(zip64End + 48, true));
  }
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== DIRECTORY_HEADER) {
      throw corrupt(`central directory entry ${i} is missing`);
    }
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const nameStart = offset + 46;
    const extraStart = nameStart + nameLength;
    if (extraStart + extraLength > bytes.length) throw corrupt(`central directory entry ${i} is truncated`);
    // Flag bit 11: the name is UTF-8 (else code page 437, which numpy's ASCII names share with latin1).
    const utf8 = (view.getUint16(offset + 8, true) & 0x800) !== 0;
    const name = strFromU8(bytes.subarray(nameStart, extraStart), !utf8);
    const sizes = zip64Values(view, extraStart, extraLength, [
      view.getUint32(offset + 24, true),
      view.getUint32(offset + 20, true),
      view.getUint32(offset + 42, true),
    ]);
    if (sizes === undefined) throw corrupt(`entry "${name}" lacks the zip64 sizes its header points to`);
    entries.push({
      name,
      method: view.getUint16(offset + 10, true),
      crc32: view.getUint32(offset + 16, true),
      size: sizes[0]!,
      compressedSize: sizes[1]!,
      localHeaderOffset: sizes[2]!,
    });
    offset = extraStart + extraLength + view.getUint16(offset + 32, true);
  }
  return entries;
}

/**
 * Replaces the 32-bit values marked 0xffffffff (in the order size, compressed size, offset)
 * with the 64-bit ones of the zip64 extra field, which holds exactly the marked ones, in order.
 */
function zip64Values(
  view: DataView,
  start: number,
  length: number,
  values: readonly number[],
): number[] | undefined {
  if (!values.includes(ZIP64_MARK)) return [...values];
  for (let at = start; at + 4 <= start + length; ) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === ZIP64_EXTRA) {
      let field = at + 4;
      const result: number[] = [];
      for (const value of values) {
        if (value !== ZIP64_MARK) {
          result.push(value);
          continue;
        }
        if (field + 8 > at + 4 + size) return undefined;
        result.push(Number(view.getBigUint64(field, true)));
        field += 8;
      }
      return result;
    }
    at += 4 + size;
  }
  return undefined;
}

/**
 * Where an entry's (compressed) data lies in the archive: after its local header, whose name
 * and extra field may differ in length from the central directory's.
 *
 * @throws InvalidFileError when the local header is missing or the data runs past the end
 */
export function zipEntryDataRange(bytes: Uint8Array, entry: ZipEntry): { start: number; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = entry.localHeaderOffset;
  if (header + 30 > bytes.length || view.getUint32(header, true) !== LOCAL_HEADER) {
    throw corrupt(`the local header of entry "${entry.name}" is missing`);
  }
  const start = header + 30 + view.getUint16(header + 26, true) + view.getUint16(header + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) throw corrupt(`the data of entry "${entry.name}" is truncated`);
  return { start, end };
}
