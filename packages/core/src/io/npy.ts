import { strFromU8, strToU8 } from 'fflate';
import { InvalidArgumentError, InvalidFileError } from '../errors/index.js';
import { type PythonLiteral, parsePythonLiteral } from './python-literal.js';
import {
  createTensor,
  elementCount,
  formatShape,
  storedBytesOf,
  type Tensor,
  type TensorArrayConstructor,
  type TensorData,
  type TensorDtype,
} from './tensor.js';
import { decodeTensorData, encodeTensorData } from './tensor-bytes.js';

/** The 6-byte magic string every `.npy` file starts with: `\x93NUMPY`. */
export const NPY_MAGIC = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** numpy type codes (kind + byte width) of the dtypes we read and write. */
const DTYPE_OF_CODE: Record<string, TensorDtype> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  b1: 'bool',
};

const CODE_OF_DTYPE: Partial<Record<TensorDtype, string>> = Object.fromEntries(
  Object.entries(DTYPE_OF_CODE).map(([code, dtype]) => [dtype, code]),
);

/** Why a numpy kind we do not read is unsupported, so the message can say what to do. */
const UNSUPPORTED_KINDS: Record<string, string> = {
  O: 'object arrays (dtype=object) need pickle, which PCEE never runs; save a numeric array',
  U: 'unicode string arrays are not numeric; save a numeric array',
  S: 'byte string arrays are not numeric; save a numeric array',
  a: 'byte string arrays are not numeric; save a numeric array',
  c: 'complex arrays are not supported; save the real part',
  M: 'datetime arrays are not supported; save a numeric array',
  m: 'timedelta arrays are not supported; save a numeric array',
  V: 'void/structured arrays are not supported; save one numeric array per field',
};

/** Parsed `.npy` header fields. */
interface NpyHeader {
  dtype: TensorDtype;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
}

function parseDescr(descr: PythonLiteral): { dtype: TensorDtype; littleEndian: boolean } {
  if (typeof descr !== 'string') {
    throw new InvalidFileError(
      'structured .npy arrays (a dtype with fields) are not supported; save one numeric array per field',
    );
  }
  const match = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  if (match === null) throw new InvalidFileError(`.npy dtype "${descr}" is not a numpy type string`);
  const [, order, kind, width] = match as unknown as [string, string, string, string];
  const unsupported = UNSUPPORTED_KINDS[kind];
  if (unsupported !== undefined) throw new InvalidFileError(`.npy dtype "${descr}": ${unsupported}`);
  const dtype = DTYPE_OF_CODE[`${kind}${width}`];
  if (dtype === undefined) {
    throw new InvalidFileError(
      `.npy dtype "${descr}" is not supported; use float16/32/64, (u)int8/16/32/64 or bool`,
    );
  }
  // '=' is "native to the writer"; numpy itself writes '<' or '>', and writers are little-endian in practice.
  return { dtype, littleEndian: order !== '>' };
}

function parseShape(shape: PythonLiteral): number[] {
  if (
    !Array.isArray(shape) ||
    !shape.every((value) => Number.isSafeInteger(value) && (value as number) >= 0)
  ) {
    throw new InvalidFileError(`.npy shape ${JSON.stringify(shape)} is not a tuple of non-negative integers`);
  }
  return shape as number[];
}

function parseHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 10 || NPY_MAGIC.some((value, index) => bytes[index] !== value)) {
    throw new InvalidFileError(
      `not a .npy array: it must start with the magic bytes \\x93NUMPY (got ${bytes.length} bytes)`,
    );
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) {
    throw new InvalidFileError(
      `.npy format version ${major}.${minor} is not supported; versions 1.0, 2.0 and 3.0 are`,
    );
  }
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new InvalidFileError('.npy file is truncated inside its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  const dataOffset = headerStart + headerLength;
  if (dataOffset > bytes.length) {
    throw new InvalidFileError(
      `.npy file is truncated: its header claims ${headerLength} bytes but only ${bytes.length - headerStart} follow`,
    );
  }
  // Version 3.0 only changed the header encoding from latin1 to UTF-8.
  const text = strFromU8(bytes.subarray(headerStart, dataOffset), major !== 3);
  const header = parsePythonLiteral(text.trim());
  if (!(header instanceof Map))
    throw new InvalidFileError(`.npy header is not a dict: ${text.slice(0, 200)}`);
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!header.has(key))
      throw new InvalidFileError(`.npy header has no '${key}' entry: ${text.slice(0, 200)}`);
  }
  const fortranOrder = header.get('fortran_order');
  if (typeof fortranOrder !== 'boolean') {
    throw new InvalidFileError(
      `.npy header 'fortran_order' must be True or False, got ${String(fortranOrder)}`,
    );
  }
  return {
    ...parseDescr(header.get('descr')!),
    fortranOrder,
    shape: parseShape(header.get('shape')!),
    dataOffset,
  };
}

/**
 * Reorders column-major (Fortran) data to row-major: element (i0, …, ik) sits at
 * Σ i_j · Π_{m<j} shape_m in the source and is written in C order.
 */
function fortranToC(data: TensorData, shape: readonly number[]): TensorData {
  if (shape.length < 2) return data;
  const target = new (data.constructor as TensorArrayConstructor)(data.length);
  // Plain indexable views: element types differ (number vs bigint) but are copied as is.
  const from = data as unknown as ArrayLike<number>;
  const to = target as unknown as { [index: number]: number };
  const strides = shape.map((_, axis) => elementCount(shape.slice(0, axis)));
  const index = new Array<number>(shape.length).fill(0);
  let source = 0;
  for (let position = 0; position < data.length; position++) {
    to[position] = from[source]!;
    // Advance the C-order multi-index (last axis fastest) while tracking the Fortran offset.
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis]!++;
      source += strides[axis]!;
      if (index[axis]! < shape[axis]!) break;
      source -= strides[axis]! * shape[axis]!;
      index[axis] = 0;
    }
  }
  return target;
}

/**
 * Reads a `.npy` array (format versions 1.0, 2.0, 3.0).
 *
 * Little-endian and byte-order-free (`|`) dtypes are viewed without copying when aligned;
 * big-endian (`>`) data is byte-swapped; `fortran_order: True` data is reordered to C order.
 * float16 is widened to float32 (the tensor keeps dtype `float16`). Bytes after the data are
 * ignored, as numpy does.
 *
 * @throws InvalidFileError for a bad magic/version/header, an object, string, complex,
 *   datetime or structured dtype, or data shorter than the header's shape needs
 */
export function readNpy(bytes: Uint8Array): Tensor {
  const header = parseHeader(bytes);
  const count = elementCount(header.shape);
  const needed = count * storedBytesOf(header.dtype);
  const available = bytes.length - header.dataOffset;
  if (needed > available) {
    throw new InvalidFileError(
      `.npy file is truncated: shape ${formatShape(header.shape)} of ${header.dtype} needs ${needed} bytes of data but only ${available} follow the header`,
    );
  }
  let data = decodeTensorData(bytes.subarray(header.dataOffset), header.dtype, count, header.littleEndian);
  if (header.fortranOrder) data = fortranToC(data, header.shape);
  return { dtype: header.dtype, shape: header.shape, data };
}

/**
 * Writes a tensor as a `.npy` array: format 1.0 (2.0 only if the header exceeds 64 KiB),
 * little-endian, C order, with the header padded so the data starts on a 64-byte boundary.
 * float16 tensors are narrowed back to float16 (round to nearest even).
 *
 * @throws InvalidArgumentError for a bfloat16 tensor (numpy has no bfloat16; convert to
 *   float32 first) or a tensor that breaks the {@link Tensor} invariants
 */
export function writeNpy(tensor: Tensor): Uint8Array {
  const code = CODE_OF_DTYPE[tensor.dtype];
  if (code === undefined) {
    throw new InvalidArgumentError(
      `.npy cannot store ${tensor.dtype}; convert the tensor to float32 before writing .npy/.npz`,
    );
  }
  createTensor(tensor.dtype, tensor.shape, tensor.data);
  const order = storedBytesOf(tensor.dtype) === 1 ? '|' : '<';
  const shape = tensor.shape.length === 1 ? `(${tensor.shape[0]},)` : `(${tensor.shape.join(', ')})`;
  const dict = `{'descr': '${order}${code}', 'fortran_order': False, 'shape': ${shape}, }`;
  const major = dict.length + 1 + 10 > 0xffff ? 2 : 1;
  const prefixLength = major === 1 ? 10 : 12;
  const padding = (64 - ((prefixLength + dict.length + 1) % 64)) % 64;
  const headerText = `${dict}${' '.repeat(padding)}\n`;
  const data = encodeTensorData(tensor.data, tensor.dtype);
  const output = new Uint8Array(prefixLength + headerText.length + data.length);
  output.set(NPY_MAGIC, 0);
  output[6] = major;
  output[7] = 0;
  const view = new DataView(output.buffer);
  if (major === 1) view.setUint16(8, headerText.length, true);
  else view.setUint32(8, headerText.length, true);
  output.set(strToU8(headerText, true), prefixLength);
  output.set(data, prefixLength + headerText.length);
  return output;
}
