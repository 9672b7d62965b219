import { rowArgmax } from '../calibration/index.js';
import {
  batchSizeOf,
  isStageTensor,
  type StageTensor,
  sliceTensorMap,
  type TensorMap,
} from '../model/index.js';
import type { FullModel } from '../runtime/index.js';

/**
 * Runs the full model (no early exit) over every sample in batches of `batchSize` and
 * returns the predicted class per sample: the baseline that early exit is measured against.
 *
 * @param inputs preprocessed model inputs by name, or a bare tensor for a one-input model.
 */
export async function predictWithFullModel(
  run: FullModel['run'],
  inputs: TensorMap | StageTensor,
  batchSize: number,
): Promise<Int32Array> {
  const named: TensorMap = isStageTensor(inputs) ? { input: inputs } : inputs;
  const unwrap = isStageTensor(inputs);
  const samples = batchSizeOf(named);
  const predictions = new Int32Array(samples);
  for (let start = 0; start < samples; start += batchSize) {
    const end = Math.min(samples, start + batchSize);
    const batch = sliceTensorMap(named, start, end);
    const logits = await run(unwrap ? batch.input! : batch);
    const classes = logits.data.length / (end - start);
    for (let row = 0; row < end - start; row++) {
      predictions[start + row] = rowArgmax(logits.data, row * classes, classes);
    }
  }
  return predictions;
}
