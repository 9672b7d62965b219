import { strFromU8 } from 'fflate';
import { InvalidFileError } from '../errors.js';

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const DIRECTORY_HEADER = 0x02014b50;
/** The end-of-directory record is 22 bytes plus a comment of at most 65535 bytes. */
const MAX_END_RECORD = 22 + 0xffff;

/**
 * The CRC-32 that a zip archive's central directory records for each entry, by entry name.
 * Call it on an archive fflate has already unzipped: fflate validates the structure but never
 * compares these checksums with the data, so this is how a flipped bit is caught.
 *
 * @throws InvalidFileError when the central directory cannot be walked
 */
export function zipEntryChecksums(bytes: Uint8Array): Map<string, number> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (what: string) => new InvalidFileError(`.npz archive is corrupt: ${what}`);
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
    (count === 0xffff || offset === 0xffffffff) &&
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
  const checksums = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== DIRECTORY_HEADER) {
      throw corrupt(`central directory entry ${i} is missing`);
    }
    const nameLength = view.getUint16(offset + 28, true);
    const nameStart = offset + 46;
    if (nameStart + nameLength > bytes.length) throw corrupt(`central directory entry ${i} is truncated`);
    // Flag bit 11: the name is UTF-8 (else code page 437, which numpy's ASCII names share with latin1).
    const utf8 = (view.getUint16(offset + 8, true) & 0x800) !== 0;
    const name = strFromU8(bytes.subarray(nameStart, nameStart + nameLength), !utf8);
    checksums.set(name, view.getUint32(offset + 16, true));
    offset = nameStart + nameLength + view.getUint16(offset + 30, true) + view.getUint16(offset + 32, true);
  }
  return checksums;
}
