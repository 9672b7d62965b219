import { InvalidInputError } from './errors.js';
import type { Tensor } from './io/tensor.js';
import type { ModelInputSpec } from './model-manifest-types.js';
import type { StageTensor } from './runtime-spec.js';

/**
 * Turns raw inputs (e.g. uint8 pixels `[N, 28, 28]`) into the float32 tensor stage 0
 * expects, following the manifest: `(raw · scale − mean[c]) / std[c]` per channel c, and
 * reshaped to `[N, ...input.shape[1:]]`. A raw shape with the same number of elements per
 * sample is accepted (`[N, 28, 28]` for `[-1, 1, 28, 28]`).
 *
 * @throws InvalidInputError on a dtype or per-sample shape that does not fit, naming both.
 */
export function preprocessInputs(spec: ModelInputSpec, raw: Tensor): StageTensor {
  const sampleShape = spec.shape.slice(1);
  const perSample = sampleShape.reduce((product, dimension) => product * dimension, 1);
  const expected = `[N, ${sampleShape.join(', ')}]`;
  if (raw.shape.length < 1 || raw.shape[0] === 0) {
    throw new InvalidInputError(
      `inputs have shape [${raw.shape.join(', ')}]; expected ${expected} with N ≥ 1`,
    );
  }
  const samples = raw.shape[0]!;
  const rawPerSample = raw.shape.slice(1).reduce((product, dimension) => product * dimension, 1);
  if (rawPerSample !== perSample) {
    throw new InvalidInputError(
      `inputs have shape [${raw.shape.join(', ')}] but the model expects ${expected} (${perSample} values per sample)`,
    );
  }
  if (raw.dtype !== spec.rawDtype) {
    throw new InvalidInputError(
      `inputs are ${raw.dtype} but the model expects raw ${spec.rawDtype} values (it applies its own preprocessing); save x as ${spec.rawDtype}`,
    );
  }
  if (typeof raw.data[0] === 'bigint') {
    throw new InvalidInputError(`inputs of dtype ${raw.dtype} are not supported; use ${spec.rawDtype}`);
  }
  const values = raw.data as ArrayLike<number>;
  const { scale, mean, std } = spec.preprocessing;
  const channels = mean.length;
  const perChannel = perSample / channels;
  const data = new Float32Array(samples * perSample);
  for (let index = 0; index < data.length; index++) {
    const channel = Math.floor((index % perSample) / perChannel);
    data[index] = (values[index]! * scale - mean[channel]!) / std[channel]!;
  }
  return { data, dims: [samples, ...sampleShape] };
}

/** Rows `[from, to)` of a batch-first tensor, as a view (no copy). */
export function sliceRows(tensor: StageTensor, from: number, to: number): StageTensor {
  const rowSize = tensor.data.length / tensor.dims[0]!;
  return {
    data: tensor.data.subarray(from * rowSize, to * rowSize),
    dims: [to - from, ...tensor.dims.slice(1)],
  };
}

/** The given rows of a batch-first tensor, gathered into a new contiguous tensor. */
export function gatherRows(tensor: StageTensor, rows: Int32Array, count: number): StageTensor {
  const rowSize = tensor.data.length / tensor.dims[0]!;
  const data = new Float32Array(count * rowSize);
  for (let index = 0; index < count; index++) {
    const start = rows[index]! * rowSize;
    data.set(tensor.data.subarray(start, start + rowSize), index * rowSize);
  }
  return { data, dims: [count, ...tensor.dims.slice(1)] };
}
