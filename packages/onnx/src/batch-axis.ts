import type { Dimension, TensorType } from './tensor-types.js';

/** The symbol a probe run gives the batch dimension (see `probeTensorTypes`). */
export const BATCH = 'batch';

/**
 * Where a tensor's batch dimension is: its axis, `'none'` when its shape is known and has no
 * batch axis (a shape value, a scalar, a `[batch*sequence, d]` reshape), or `'unknown'` when
 * the shape is not known. `batchSymbols` are the names the model's inputs give their first
 * dimension (e.g. `"batch"`, `"batch_size"`, `"N"`).
 */
export function batchAxis(
  type: TensorType | undefined,
  batchSymbols: ReadonlySet<string>,
): number | 'none' | 'unknown' {
  if (!type?.shape) return 'unknown';
  const axes = type.shape.flatMap((dimension: Dimension, axis) =>
    typeof dimension === 'string' && batchSymbols.has(dimension) ? [axis] : [],
  );
  return axes.length === 1 ? axes[0]! : 'none';
}
