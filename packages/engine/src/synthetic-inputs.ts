import {
  allocateStageData,
  InvalidArgumentError,
  type ModelManifest,
  numberToFloat16Bits,
  type StageTensor,
  type TensorMap,
} from '@pcee/core';

/**
 * A batch of every model input with deterministic values: float inputs pseudo-random in
 * [−1, 1), integer and bool inputs 0 (a valid token id, token type and mask value).
 *
 * @throws InvalidArgumentError when an input has a dimension other than the batch that is
 *   not a fixed size (such as a sequence length): it cannot be made up.
 */
export function syntheticInputs(manifest: ModelManifest, batch: number): TensorMap {
  let state = 0x9e3779b9;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
  const entries = manifest.inputs.map((input): [string, StageTensor] => {
    const sample = input.shape.slice(1);
    if (
      sample.some(
        (dimension) => typeof dimension !== 'number' || !Number.isInteger(dimension) || dimension < 1,
      )
    ) {
      throw new InvalidArgumentError(
        `input "${input.name}" of model "${manifest.id}" has shape [${input.shape.join(', ')}]; measuring costs needs every dimension but the batch fixed`,
      );
    }
    const dims = [batch, ...(sample as number[])];
    const data = allocateStageData(
      input.dtype,
      dims.reduce((product, dimension) => product * dimension, 1),
    );
    if (data instanceof Float32Array || data instanceof Float64Array) {
      for (let index = 0; index < data.length; index++) data[index] = random();
    } else if (input.dtype === 'float16') {
      for (let index = 0; index < data.length; index++) data[index] = numberToFloat16Bits(random());
    }
    return [input.name, { dtype: input.dtype, data, shape: dims }];
  });
  return Object.fromEntries(entries);
}
