import { InvalidInputError } from '../errors/index.js';
import { FLOAT_DTYPES, INTEGER_DTYPES, narrowFloat16, type Tensor } from '../io/index.js';
import type { ModelInputSpec, ModelManifest } from './model-manifest-types.js';
import {
  allocateStageData,
  type StageTensor,
  type StageTensorData,
  type TensorMap,
} from './stage-tensors.js';

/** Options of `preprocessInput` / `preprocessModelInputs`. */
export interface PreprocessOptions {
  /**
   * Accept data already in the model's dtype for an input that declares raw preprocessing
   * (the server takes `FP32` as preprocessed). Default false: for an input with raw
   * preprocessing, only raw data is accepted, so float pixels in [0, 255] are not silently
   * taken as normalised values.
   */
  readonly acceptPreprocessed?: boolean;
}

/**
 * Turns one array of raw values into the tensor a model input expects. With `raw`
 * preprocessing in the spec, raw data (e.g. uint8 pixels `[N, 28, 28]`) becomes
 * `(raw · scale − mean[c]) / std[c]` per channel c. Otherwise values are converted within
 * their kind (integers to the input's integer type, floats to its float type).
 *
 * Shapes: the batch comes first; fixed dimensions must match, symbolic ones (e.g.
 * `"sequence"`) take any size; for an input whose sample dimensions are all fixed, any raw
 * shape with the same number of values per sample is accepted (`[N, 28, 28]` for
 * `[batch, 1, 28, 28]`).
 *
 * @throws InvalidInputError on a dtype or per-sample shape that does not fit, naming both and the fix.
 */
export function preprocessInput(
  spec: ModelInputSpec,
  raw: Tensor,
  options: PreprocessOptions = {},
): StageTensor {
  const dims = checkedDims(spec, raw);
  if (spec.raw && (raw.dtype === spec.raw.dtype || !options.acceptPreprocessed)) {
    if (raw.dtype !== spec.raw.dtype) {
      throw new InvalidInputError(
        `input "${spec.name}" is ${raw.dtype} but the model expects raw ${spec.raw.dtype} values (it applies its own preprocessing); save it as ${spec.raw.dtype}`,
      );
    }
    return normalise(spec, raw, dims);
  }
  return { dtype: spec.dtype, data: convertValues(spec, raw), shape: dims };
}

/**
 * Every model input from a set of named arrays (e.g. an `.npz`): each input is looked up by
 * name; a model with one input also takes an array named `x`. Extra arrays (`labels`) are
 * ignored.
 *
 * @throws InvalidInputError naming a missing input and the arrays that were given.
 */
export function preprocessModelInputs(
  manifest: ModelManifest,
  arrays: ReadonlyMap<string, Tensor>,
  options: PreprocessOptions = {},
): TensorMap {
  const out: Record<string, StageTensor> = {};
  for (const spec of manifest.inputs) {
    const raw = arrays.get(spec.name) ?? (manifest.inputs.length === 1 ? arrays.get('x') : undefined);
    if (!raw) {
      const alias = manifest.inputs.length === 1 ? ` (or "x")` : '';
      throw new InvalidInputError(
        `no array "${spec.name}"${alias} for model "${manifest.id}" (given: ${[...arrays.keys()].join(', ') || 'nothing'}); save inputs with np.savez(path, ${manifest.inputs.map((input) => `${input.name}=…`).join(', ')}, labels=…)`,
      );
    }
    out[spec.name] = preprocessInput(spec, raw, options);
  }
  return out;
}

/** The model-side dims of `raw`, or an error naming both shapes. */
function checkedDims(spec: ModelInputSpec, raw: Tensor): number[] {
  const sample = spec.shape.slice(1);
  const shown = `[N, ${sample.join(', ')}]`;
  if (raw.shape.length < 1 || raw.shape[0] === 0) {
    throw new InvalidInputError(
      `input "${spec.name}" has shape [${raw.shape.join(', ')}]; expected ${shown} with N ≥ 1`,
    );
  }
  const samples = raw.shape[0]!;
  if (sample.every((dimension) => typeof dimension === 'number' && dimension >= 0)) {
    const perSample = (sample as number[]).reduce((product, dimension) => product * dimension, 1);
    const rawPerSample = raw.shape.slice(1).reduce((product, dimension) => product * dimension, 1);
    if (rawPerSample !== perSample) {
      throw new InvalidInputError(
        `input "${spec.name}" has shape [${raw.shape.join(', ')}] but the model expects ${shown} (${perSample} values per sample)`,
      );
    }
    return [samples, ...(sample as number[])];
  }
  const fits =
    raw.shape.length === spec.shape.length &&
    sample.every(
      (dimension, axis) =>
        typeof dimension !== 'number' || dimension < 0 || dimension === raw.shape[axis + 1],
    );
  if (!fits) {
    throw new InvalidInputError(
      `input "${spec.name}" has shape [${raw.shape.join(', ')}] but the model expects ${shown} (named dimensions take any size)`,
    );
  }
  return [...raw.shape];
}

function normalise(spec: ModelInputSpec, raw: Tensor, dims: number[]): StageTensor {
  const { scale, mean, std } = spec.raw!.preprocessing;
  const values = toNumbers(raw.data);
  const samples = dims[0]!;
  const perSample = values.length / samples;
  const channels = mean.length;
  const perChannel = perSample / channels;
  const data = new Float32Array(values.length);
  for (let index = 0; index < data.length; index++) {
    const channel = Math.floor((index % perSample) / perChannel);
    data[index] = (values[index]! * scale - mean[channel]!) / std[channel]!;
  }
  return spec.dtype === 'float16'
    ? { dtype: 'float16', data: narrowFloat16(data), shape: dims }
    : spec.dtype === 'float64'
      ? { dtype: 'float64', data: Float64Array.from(data), shape: dims }
      : { dtype: 'float32', data, shape: dims };
}

/** `raw`'s values in the storage of `spec.dtype`, refusing conversions across kinds. */
function convertValues(spec: ModelInputSpec, raw: Tensor): StageTensorData {
  const rawIsFloat = FLOAT_DTYPES.includes(raw.dtype);
  const rawIsInteger = INTEGER_DTYPES.includes(raw.dtype) || raw.dtype === 'bool';
  const wantsFloat = spec.dtype === 'float32' || spec.dtype === 'float16' || spec.dtype === 'float64';
  if ((wantsFloat && !rawIsFloat) || (!wantsFloat && !rawIsInteger)) {
    throw new InvalidInputError(
      `input "${spec.name}" is ${raw.dtype} but the model expects ${spec.dtype}; save it as ${spec.dtype}`,
    );
  }
  if (spec.dtype === 'float16') return narrowFloat16(raw.data as Float32Array | Float64Array);
  if (spec.dtype === 'int64') {
    if (raw.data instanceof BigInt64Array) return raw.data;
    return BigInt64Array.from(raw.data as ArrayLike<number | bigint>, (value) => BigInt(value));
  }
  const out = allocateStageData(spec.dtype, raw.data.length);
  if (out.constructor === raw.data.constructor) return raw.data as StageTensorData;
  const values = toNumbers(raw.data);
  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    if (spec.dtype === 'bool') (out as Uint8Array)[index] = value !== 0 ? 1 : 0;
    else (out as Float32Array)[index] = value;
  }
  checkIntegerRange(spec, values, out);
  return out;
}

/** An integer narrowed into a smaller type must survive the trip (token ids above 2³¹, …). */
function checkIntegerRange(spec: ModelInputSpec, values: ArrayLike<number>, out: StageTensorData): void {
  if (spec.dtype !== 'int32' && spec.dtype !== 'int8' && spec.dtype !== 'uint8') return;
  for (let index = 0; index < values.length; index++) {
    if ((out as Int32Array)[index] !== values[index]) {
      throw new InvalidInputError(
        `input "${spec.name}" has value ${values[index]} at element ${index}, outside ${spec.dtype}; check the data or the model's input type`,
      );
    }
  }
}

/** Elements as numbers (int64/uint64 via Number, exact below 2⁵³). */
function toNumbers(data: Tensor['data']): ArrayLike<number> {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, Number);
  return data as ArrayLike<number>;
}
