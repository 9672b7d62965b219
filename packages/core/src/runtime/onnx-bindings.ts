import { InvalidInputError, InvalidManifestError } from '../errors/index.js';
import { widenFloat16 } from '../io/index.js';
import {
  type Float32StageTensor,
  MODEL_TENSOR_DTYPES,
  type ModelTensorDtype,
  type StageTensor,
  type TensorBinding,
  type TensorMap,
} from '../model/index.js';
import { checkStageInput, type OnnxOutput, type OnnxSession } from './onnx-session.js';

/**
 * The feeds of one session run: each bound tensor, checked against the graph input it
 * binds to, under its ONNX name.
 *
 * @throws InvalidInputError for a missing tensor, or one whose dtype or dims the graph does not take.
 */
export function bindFeeds(
  session: OnnxSession,
  bindings: readonly TensorBinding[],
  inputs: TensorMap,
  createTensor: (tensor: StageTensor) => unknown,
  what: string,
): Record<string, unknown> {
  const feeds: Record<string, unknown> = {};
  for (const { name, onnxName } of bindings) {
    const tensor = inputs[name];
    if (!tensor) {
      throw new InvalidInputError(
        `${what} needs tensor "${name}" but got ${
          Object.keys(inputs)
            .map((given) => `"${given}"`)
            .join(', ') || 'nothing'
        }`,
      );
    }
    checkStageInput(tensor, session.inputMetadata[session.inputNames.indexOf(onnxName)], what);
    feeds[onnxName] = createTensor(tensor);
  }
  return feeds;
}

/** An output as a stage tensor, typed by what onnxruntime says it is. */
export function outputTensor(output: OnnxOutput | undefined, onnxName: string, what: string): StageTensor {
  if (!output)
    throw new InvalidManifestError(`${what} has no output "${onnxName}"; fix the names in model.json`);
  const dtype = (output.type ?? 'float32') as ModelTensorDtype;
  if (!MODEL_TENSOR_DTYPES.includes(dtype)) {
    throw new InvalidManifestError(
      `${what} returns "${onnxName}" as ${output.type}, which PCEE cannot carry between stages (it carries ${MODEL_TENSOR_DTYPES.join(', ')})`,
    );
  }
  return { dtype, data: output.data as StageTensor['data'], shape: output.dims };
}

/** Logits `[N, C]` as float32, widening float16 or float64 outputs. */
export function outputLogits(
  output: OnnxOutput | undefined,
  onnxName: string,
  what: string,
): Float32StageTensor {
  const tensor = outputTensor(output, onnxName, what);
  if (tensor.dtype === 'float32') return tensor as Float32StageTensor;
  if (tensor.dtype === 'float16')
    return { dtype: 'float32', data: widenFloat16(tensor.data as Uint16Array), shape: tensor.shape };
  if (tensor.dtype === 'float64')
    return { dtype: 'float32', data: Float32Array.from(tensor.data as Float64Array), shape: tensor.shape };
  throw new InvalidManifestError(
    `${what} returns logits "${onnxName}" as ${tensor.dtype}; exit logits must be floating point`,
  );
}
