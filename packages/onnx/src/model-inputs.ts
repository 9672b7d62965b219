import { UnsupportedModelError } from '@pcee/core';
import { type CarriedDtype, isCarriedDtype } from './dtypes.js';
import { indexGraph } from './graph-index.js';
import type { ModelProto } from './onnx-proto.js';
import { type Dimension, typeOfValueInfo } from './tensor-types.js';

/** A model input as a model package declares it: name, dtype, shape with the batch first. */
export interface ModelInput {
  readonly name: string;
  readonly dtype: CarriedDtype;
  /** First the batch dimension (a symbol), then sizes or symbols such as `"sequence"`. */
  readonly shape: readonly Dimension[];
}

/**
 * The model's inputs (graph inputs that are not initializers), in declaration order. An
 * undeclared dimension is named `<input>_<axis>`.
 *
 * @throws UnsupportedModelError when an input is not a tensor, has a dtype a model package
 *   cannot carry, or has a static batch dimension (stages must take any batch size).
 */
export function modelInputs(model: ModelProto, source = 'the model'): ModelInput[] {
  return indexGraph(model, source).inputs.map((input) => {
    const type = typeOfValueInfo(input);
    if (!type) {
      throw new UnsupportedModelError(
        `input "${input.name}" of ${source} is not a tensor; PCEE inputs are tensors`,
      );
    }
    if (!isCarriedDtype(type.dtype)) {
      throw new UnsupportedModelError(
        `input "${input.name}" of ${source} is ${type.dtype}; inputs must be float32, float16, float64, int64, int32, int8, uint8 or bool`,
      );
    }
    const shape = (type.shape ?? []).map((dimension, axis) =>
      typeof dimension === 'string' && dimension.startsWith('unknown_') ? `${input.name}_${axis}` : dimension,
    );
    const batch = shape[0];
    if (batch === undefined || typeof batch === 'number') {
      throw new UnsupportedModelError(
        `input "${input.name}" of ${source} has ${batch === undefined ? 'no batch dimension' : `a static batch dimension of ${batch}`}; export with a dynamic batch axis: torch.onnx.export(..., dynamic_axes={"${input.name}": {0: "batch"}, <each output>: {0: "batch"}})`,
      );
    }
    return { name: input.name, dtype: type.dtype, shape };
  });
}
