import { InvalidInputError } from '../errors/index.js';
import type { ModelManifest } from './model-manifest-types.js';
import type { StageTensor, TensorMap } from './stage-tensors.js';

/**
 * What enters stage `stage + 1`: each tensor named in `live` (see `tensorLiveness`), from
 * those the stage just `produced`, else from those `carried` into it (model inputs and earlier
 * stages' outputs that later stages still read). The one carry step of the runner, the cost
 * measurement, the engine and the server, so a stage that forgets an output fails the same way everywhere.
 *
 * @throws InvalidInputError naming the stage and the tensor when a live tensor is in neither.
 */
export function carryTensors(
  manifest: ModelManifest,
  stage: number,
  carried: TensorMap,
  produced: TensorMap,
  live: readonly string[],
): TensorMap {
  const next: Record<string, StageTensor> = {};
  for (const name of live) {
    const tensor = produced[name] ?? carried[name];
    if (!tensor) {
      throw new InvalidInputError(
        `stage ${stage} of model "${manifest.id}" did not return "${name}", which a later stage needs; check the stage's outputs in model.json`,
      );
    }
    next[name] = tensor;
  }
  return next;
}
