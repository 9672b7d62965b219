import { InvalidInputError } from '../errors/index.js';
import { allocateStageData, type StageTensor } from '../model/index.js';

/**
 * The part of an onnxruntime `InferenceSession` that PCEE's adapters use. onnxruntime-node
 * and onnxruntime-web sessions (both from onnxruntime-common) fit it structurally, so the
 * code that drives sessions lives here once, without core depending on either runtime.
 */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly OnnxInputMetadata[];
  run(feeds: Record<string, unknown>): Promise<Record<string, OnnxOutput>>;
  release(): Promise<void>;
}

/** What onnxruntime says about a graph input. Symbolic dimensions are strings. */
export interface OnnxInputMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

/** An output tensor as onnxruntime returns it (`type` is onnxruntime's name, e.g. `float32`). */
export interface OnnxOutput {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type?: string;
}

/**
 * Checks a tensor against an ONNX graph input before running it, so a wrong shape or dtype
 * is an `InvalidInputError` naming both instead of a backend stack message (or a
 * WebAssembly abort). Symbolic dimensions (the batch, a sequence length) accept any size ≥ 1.
 *
 * @param what names the input in messages, e.g. `stage 2 of model "fmnist-cnn-large"`.
 */
export function checkStageInput(
  tensor: StageTensor,
  metadata: OnnxInputMetadata | undefined,
  what: string,
): void {
  const storage = allocateStageData(tensor.dtype, 0).constructor;
  if (tensor.data?.constructor !== storage) {
    const type = (tensor.data as object)?.constructor?.name ?? typeof tensor.data;
    throw new InvalidInputError(
      `${what} got ${tensor.dtype} data in a ${type}; ${tensor.dtype} is held in a ${storage.name}`,
    );
  }
  if (tensor.shape.some((dimension) => !Number.isInteger(dimension) || dimension < 1)) {
    throw new InvalidInputError(`${what} got dims [${tensor.shape.join(', ')}]; every dimension must be ≥ 1`);
  }
  const elements = tensor.shape.reduce((product, dimension) => product * dimension, 1);
  if (elements !== tensor.data.length) {
    throw new InvalidInputError(
      `${what} got dims [${tensor.shape.join(', ')}] (${elements} values) but ${tensor.data.length} values`,
    );
  }
  if (!metadata?.isTensor || !metadata.shape) return;
  if (metadata.type !== tensor.dtype) {
    throw new InvalidInputError(
      `${what} expects input "${metadata.name}" of type ${metadata.type} but got ${tensor.dtype}; convert the data to ${metadata.type} (or fix the input's dtype in model.json)`,
    );
  }
  const expected = metadata.shape;
  const fits =
    expected.length === tensor.shape.length &&
    expected.every((dimension, axis) => typeof dimension !== 'number' || dimension === tensor.shape[axis]);
  if (!fits) {
    const shown = expected.map((dimension) => (typeof dimension === 'number' ? dimension : 'N'));
    const staticBatch = typeof expected[0] === 'number' && expected.length === tensor.shape.length;
    const hint = staticBatch
      ? `; the graph was exported with a fixed batch of ${expected[0]}: re-export with a dynamic batch axis (torch.onnx.export(…, dynamic_axes={"${metadata.name}": {0: "batch"}, …}))`
      : '';
    throw new InvalidInputError(
      `${what} expects input "${metadata.name}" of shape [${shown.join(', ')}] but got [${tensor.shape.join(', ')}]${hint}`,
    );
  }
}

/** onnxruntime messages carry a source path prefix and sometimes several lines; keep the gist. */
export function onnxErrorGist(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  return message
    .replace(/\s+/g, ' ')
    .replace(/^.*?\[ONNXRuntimeError\] : \d+ : /, '')
    .trim()
    .slice(0, 300);
}
