import { InvalidArgumentError } from '../errors/index.js';
import type { Traces } from '../traces/index.js';
import { writeNpz } from './npz.js';
import { writeSafetensors } from './safetensors.js';
import type { Tensor } from './tensor.js';

/** Container formats {@link writeTraces} can produce. */
export type TracesFormat = 'npz' | 'safetensors';

/**
 * Writes traces as `logits` (`[N, L, C]`, float32, or float64 when the traces hold float64)
 * and `labels` (`[N]`, int64, what PyTorch and numpy use for class indices). `.npz` entries
 * are stored uncompressed (logits barely compress), like `np.savez`.
 *
 * @throws InvalidArgumentError for an unknown format
 */
export function writeTraces(traces: Traces, format: TracesFormat): Uint8Array {
  const logits: Tensor = {
    dtype: traces.logits instanceof Float64Array ? 'float64' : 'float32',
    shape: [traces.samples, traces.exits, traces.classes],
    data: traces.logits,
  };
  const labelValues = new BigInt64Array(traces.labels.length);
  for (let sample = 0; sample < labelValues.length; sample++) {
    labelValues[sample] = BigInt(traces.labels[sample]!);
  }
  const labels: Tensor = { dtype: 'int64', shape: [traces.samples], data: labelValues };
  const tensors = new Map([
    ['logits', logits],
    ['labels', labels],
  ]);
  if (format === 'npz') return writeNpz(tensors);
  if (format === 'safetensors') return writeSafetensors(tensors);
  throw new InvalidArgumentError(`unknown traces format "${String(format)}"; use "npz" or "safetensors"`);
}
