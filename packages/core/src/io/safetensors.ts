import { strFromU8, strToU8 } from 'fflate';
import { InvalidArgumentError, InvalidFileError } from '../errors/index.js';
import type { NamedTensors } from './npz.js';
import {
  createTensor,
  elementCount,
  formatShape,
  storedBytesOf,
  type Tensor,
  type TensorDtype,
} from './tensor.js';
import { decodeTensorData, encodeTensorData } from './tensor-bytes.js';

/** Contents of a `.safetensors` file. */
export interface SafetensorsContents {
  /** Tensors by name, in header order. */
  readonly tensors: Map<string, Tensor>;
  /** The free-form `__metadata__` string map (empty when absent). */
  readonly metadata: Record<string, string>;
}

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /** Written as `__metadata__`; values must be strings. */
  readonly metadata?: Readonly<Record<string, string>>;
}

const DTYPE_OF_CODE: Record<string, TensorDtype> = {
  F16: 'float16',
  BF16: 'bfloat16',
  F32: 'float32',
  F64: 'float64',
  I8: 'int8',
  I16: 'int16',
  I32: 'int32',
  I64: 'int64',
  U8: 'uint8',
  U16: 'uint16',
  U32: 'uint32',
  U64: 'uint64',
  BOOL: 'bool',
};

const CODE_OF_DTYPE = Object.fromEntries(
  Object.entries(DTYPE_OF_CODE).map(([code, dtype]) => [dtype, code]),
) as Record<TensorDtype, string>;

/** The reference implementation refuses headers above 100 MB; so do we, before decoding. */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Reads the length prefix and checks the header looks like JSON, without parsing it: used to
 * sniff the format. Returns the header length, or a reason the bytes are not safetensors.
 */
export function safetensorsHeaderLength(bytes: Uint8Array): number | string {
  if (bytes.length < 8) return `only ${bytes.length} bytes, less than the 8-byte header length`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = Number(view.getBigUint64(0, true));
  if (length < 2 || length > MAX_HEADER_BYTES || 8 + length > bytes.length) {
    return `its 8-byte header length ${length} does not fit in a ${bytes.length}-byte file`;
  }
  if (bytes[8] !== 0x7b) return 'its header does not start with "{"';
  return length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndexList(value: unknown, length?: number): value is number[] {
  return (
    Array.isArray(value) &&
    (length === undefined || value.length === length) &&
    value.every((item) => Number.isSafeInteger(item) && item >= 0)
  );
}

/**
 * Reads a `.safetensors` file: an 8-byte little-endian header length, a JSON header mapping
 * names to `{dtype, shape, data_offsets}` (offsets relative to the data after the header),
 * then the data. dtypes F16, BF16 (both widened to float32), F32, F64, I8–I64, U8–U64 and
 * BOOL; aligned tensors are views over `bytes`.
 *
 * @throws InvalidFileError for a truncated file, a header that is not JSON, an unsupported
 *   dtype, or offsets outside the data or inconsistent with dtype × shape (naming the tensor)
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsContents {
  const headerLength = safetensorsHeaderLength(bytes);
  if (typeof headerLength === 'string') {
    throw new InvalidFileError(`not a .safetensors file or truncated: ${headerLength}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(strFromU8(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new InvalidFileError(`.safetensors header is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (!isRecord(header)) throw new InvalidFileError('.safetensors header is not a JSON object');
  const data = bytes.subarray(8 + headerLength);
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(entry) || !Object.values(entry).every((value) => typeof value === 'string')) {
        throw new InvalidFileError('.safetensors __metadata__ must map strings to strings');
      }
      // fromEntries defines own properties, so a "__proto__" key stays data (assign would set the prototype).
      metadata = Object.fromEntries(Object.entries(entry)) as Record<string, string>;
      continue;
    }
    tensors.set(name, readEntry(name, entry, data));
  }
  return { tensors, metadata };
}

function readEntry(name: string, entry: unknown, data: Uint8Array): Tensor {
  if (!isRecord(entry)) throw new InvalidFileError(`.safetensors tensor "${name}" is not an object`);
  const { dtype: code, shape, data_offsets: offsets } = entry;
  const dtype = typeof code === 'string' ? DTYPE_OF_CODE[code] : undefined;
  if (dtype === undefined) {
    throw new InvalidFileError(
      `.safetensors tensor "${name}" has dtype ${JSON.stringify(code)}; supported: ${Object.keys(DTYPE_OF_CODE).join(', ')}`,
    );
  }
  if (!isIndexList(shape)) {
    throw new InvalidFileError(
      `.safetensors tensor "${name}" has shape ${JSON.stringify(shape)}, not a list of non-negative integers`,
    );
  }
  if (!isIndexList(offsets, 2) || offsets[0]! > offsets[1]! || offsets[1]! > data.length) {
    throw new InvalidFileError(
      `.safetensors tensor "${name}" has data_offsets ${JSON.stringify(offsets)} outside the ${data.length} data bytes (truncated file?)`,
    );
  }
  const count = elementCount(shape);
  const needed = count * storedBytesOf(dtype);
  if (offsets[1]! - offsets[0]! !== needed) {
    throw new InvalidFileError(
      `.safetensors tensor "${name}" spans ${offsets[1]! - offsets[0]!} bytes but ${dtype} ${formatShape(shape)} needs ${needed}`,
    );
  }
  return { dtype, shape, data: decodeTensorData(data.subarray(offsets[0]!), dtype, count, true) };
}

/**
 * Writes tensors as `.safetensors`. Tensors are laid out widest element first so that every
 * tensor starts at a multiple of its element width, and the header is space-padded to a
 * multiple of 8 bytes, so readers can view the data without copying.
 *
 * @throws InvalidArgumentError for an empty name, the reserved name `__metadata__`, a
 *   non-string metadata value, or a tensor that breaks the {@link Tensor} invariants
 */
export function writeSafetensors(tensors: NamedTensors, options: WriteSafetensorsOptions = {}): Uint8Array {
  const pairs: [string, Tensor][] = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const encoded = pairs.map(([name, tensor]) => {
    if (name === '' || name === '__metadata__') {
      throw new InvalidArgumentError(`.safetensors tensor name "${name}" is empty or reserved`);
    }
    createTensor(tensor.dtype, tensor.shape, tensor.data);
    return { name, tensor, bytes: encodeTensorData(tensor.data, tensor.dtype) };
  });
  // Stable sort: equal widths keep the caller's order.
  encoded.sort((left, right) => storedBytesOf(right.tensor.dtype) - storedBytesOf(left.tensor.dtype));
  const header: Record<string, unknown> = {};
  if (options.metadata !== undefined) {
    for (const [key, value] of Object.entries(options.metadata)) {
      if (typeof value !== 'string') {
        throw new InvalidArgumentError(
          `.safetensors metadata "${key}" must be a string, got ${typeof value}`,
        );
      }
    }
    header.__metadata__ = options.metadata;
  }
  let offset = 0;
  for (const { name, tensor, bytes } of encoded) {
    Object.defineProperty(header, name, {
      value: {
        dtype: CODE_OF_DTYPE[tensor.dtype],
        shape: tensor.shape,
        data_offsets: [offset, offset + bytes.length],
      },
      enumerable: true,
      configurable: true,
      writable: true,
    });
    offset += bytes.length;
  }
  let headerText = JSON.stringify(header);
  let headerBytes = strToU8(headerText);
  headerText += ' '.repeat((8 - (headerBytes.length % 8)) % 8);
  headerBytes = strToU8(headerText);
  const output = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(output.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  output.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const { bytes } of encoded) {
    output.set(bytes, position);
    position += bytes.length;
  }
  return output;
}
