import { InvalidFileError, InvalidTracesError, PceeError } from '../errors/index.js';
import { type CreateTracesOptions, createTraces, type Traces } from '../traces/index.js';
import { HOST_IS_LITTLE_ENDIAN } from './byte-order.js';
import { NPY_MAGIC } from './npy.js';
import { isZip, type ReadNpzOptions, readNpz } from './npz.js';
import { readSafetensors, safetensorsHeaderLength } from './safetensors.js';
import { FLOAT_DTYPES, formatShape, INTEGER_DTYPES, type Tensor } from './tensor.js';

/** Options of {@link readTraces}: how `.npz` entries are checked, and whether logits are checked here. */
export interface ReadTracesOptions extends ReadNpzOptions, CreateTracesOptions {}

const HOW_TO_WRITE =
  'write traces with numpy.savez(path, logits=logits, labels=labels) or safetensors save_file({"logits": …, "labels": …}, path)';

/**
 * Reads traces from `.npz` (`np.savez` / `np.savez_compressed`) or `.safetensors` bytes,
 * detected from their first bytes (not from a file name).
 *
 * The file must hold `logits` (rank 3 `[N, L, C]`, float16/bfloat16/float32/float64) and
 * `labels` (rank 1 `[N]`, any integer dtype). float64 logits stay `Float64Array`; the others
 * become `Float32Array`. Logits and int32 labels may be views sharing memory with `bytes`.
 *
 * @param source a name for messages, such as the file path
 * @param options how `.npz` entries are checked (e.g. a native CRC-32, see {@link ReadNpzOptions}),
 *   and `checkFinite: false` to leave the finiteness check to `scoreExits` (one pass, not two)
 * @throws InvalidFileError for unreadable bytes (naming the accepted formats and `source`)
 * @throws InvalidTracesError for a missing tensor (listing what the file holds), a wrong
 *   dtype or rank, NaN/Inf logits or labels outside `[0, C)`
 */
export function readTraces(bytes: Uint8Array, source = 'traces', options: ReadTracesOptions = {}): Traces {
  try {
    return tracesFromTensors(readTensors(bytes, options), options);
  } catch (error) {
    if (!(error instanceof PceeError)) throw error;
    // Prefix the source so a CLI message says which file is wrong.
    const Rethrown = error instanceof InvalidTracesError ? InvalidTracesError : InvalidFileError;
    throw new Rethrown(`${source}: ${error.message}`, { cause: error });
  }
}

function readTensors(bytes: Uint8Array, options: ReadNpzOptions): Map<string, Tensor> {
  if (isZip(bytes)) return readNpz(bytes, options);
  if (typeof safetensorsHeaderLength(bytes) === 'number') return readSafetensors(bytes).tensors;
  if (bytes.length >= NPY_MAGIC.length && NPY_MAGIC.every((value, index) => bytes[index] === value)) {
    throw new InvalidFileError(`this is a single .npy array, but traces need two arrays; ${HOW_TO_WRITE}`);
  }
  const start = [...bytes.subarray(0, 8)].map((value) => value.toString(16).padStart(2, '0')).join(' ');
  throw new InvalidFileError(
    `not a .npz (zip) or .safetensors file (${bytes.length} bytes starting with [${start}]); ${HOW_TO_WRITE}`,
  );
}

function requireTensor(tensors: ReadonlyMap<string, Tensor>, name: string): Tensor {
  const tensor = tensors.get(name);
  if (tensor === undefined) {
    const held = [...tensors].map(([key, value]) => `${key} ${value.dtype} ${formatShape(value.shape)}`);
    throw new InvalidTracesError(
      `traces have no "${name}" tensor; the file holds ${held.length === 0 ? 'no tensors' : held.join(', ')}; ${HOW_TO_WRITE}`,
    );
  }
  return tensor;
}

/**
 * Builds validated traces from named tensors (as {@link readNpz} or `readSafetensors`
 * return them): `logits` rank 3 float, `labels` rank 1 integer.
 *
 * @throws InvalidTracesError as {@link readTraces} does
 */
export function tracesFromTensors(
  tensors: ReadonlyMap<string, Tensor>,
  options: CreateTracesOptions = {},
): Traces {
  const logits = requireTensor(tensors, 'logits');
  const labels = requireTensor(tensors, 'labels');
  if (logits.shape.length !== 3) {
    throw new InvalidTracesError(
      `logits have shape ${formatShape(logits.shape)} but must be rank 3 [samples, exits, classes]`,
    );
  }
  if (!FLOAT_DTYPES.includes(logits.dtype)) {
    throw new InvalidTracesError(
      `logits are ${logits.dtype} but must be float16, float32 or float64; save logits.astype(np.float32)`,
    );
  }
  if (labels.shape.length !== 1) {
    throw new InvalidTracesError(
      `labels have shape ${formatShape(labels.shape)} but must be rank 1 [${logits.shape[0]}] (one class index per sample)`,
    );
  }
  if (!INTEGER_DTYPES.includes(labels.dtype)) {
    throw new InvalidTracesError(
      `labels are ${labels.dtype} but must be integer class indices; save labels.astype(np.int64)`,
    );
  }
  const [samples, exits, classes] = logits.shape as [number, number, number];
  const logitValues = logits.data as Float32Array | Float64Array;
  return createTraces(logitValues, labelsToInt32(labels, classes), { samples, exits, classes }, options);
}

/**
 * Converts integer labels to `Int32Array`. Values that do not fit in int32 cannot be class
 * indices, so they are reported here with the same wording as `createTraces` would use.
 */
function labelsToInt32(labels: Tensor, classes: number): Int32Array {
  const data = labels.data;
  if (data instanceof Int32Array) return data;
  const target = new Int32Array(data.length);
  const outside = (sample: number) =>
    new InvalidTracesError(
      `label of sample ${sample} is ${data[sample]}, outside [0, ${classes}) for ${classes} classes; labels must be class indices`,
    );
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    // numpy's default int64 labels: read each value's two 32-bit halves instead of making a
    // BigInt per label (~20× faster); it fits in int32 when the high half only extends the sign.
    const words = new Int32Array(data.buffer, data.byteOffset, data.length * 2);
    const low = HOST_IS_LITTLE_ENDIAN ? 0 : 1;
    const signed = data instanceof BigInt64Array;
    for (let sample = 0; sample < data.length; sample++) {
      const value = words[2 * sample + low]!;
      const high = words[2 * sample + 1 - low]!;
      if (high !== (signed ? value >> 31 : 0) || (!signed && value < 0)) throw outside(sample);
      target[sample] = value;
    }
    return target;
  }
  for (let sample = 0; sample < data.length; sample++) {
    const value = data[sample] as number;
    if (value >= 2 ** 31) throw outside(sample);
    target[sample] = value;
  }
  return target;
}
