import {
  carryTensors,
  type LoadOptions,
  type ModelPackage,
  parseManifest,
  type Runtime,
  type StagedModel,
  type StageTensor,
  sha256Hex,
  sliceBatch,
  type Tensor,
  type TensorMap,
  tensorLiveness,
} from '@pcee/core';

/** How closely the chained stages reproduce the model. */
export interface SplitCheck {
  readonly samples: number;
  /**
   * Per exit, the relative difference `max |a − b| / max |a|` over all samples and classes,
   * `a` the original model's logits and `b` the stages'; NaN where both are NaN counts as
   * equal, NaN against a number as infinitely different.
   */
  readonly errors: readonly number[];
}

/** A split to verify: its package, and the original model pruned to each exit in turn. */
export interface SplitToVerify {
  /** `model.json` of the split (version 2) and the bytes of its stage files. */
  readonly manifest: Record<string, unknown>;
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Per exit, the original model computing that exit alone from its `inputs`. */
  readonly references: readonly { readonly bytes: Uint8Array; readonly inputs: readonly string[] }[];
}

/**
 * Runs the original model and the stages on the same inputs in batches through a runtime (as
 * the split will run), and compares every exit's logits: the stages chained, each fed the
 * tensors it consumes (`carryTensors`), against the original model pruned to that exit. The
 * reference runs as a package of its own, one stage per exit reading only model inputs, so
 * no session is opened outside the adapter.
 */
export async function verifySplit(
  runtime: Runtime,
  split: SplitToVerify,
  inputs: ReadonlyMap<string, Tensor>,
  batchSize: number,
  onProgress: (done: number, total: number) => void = () => {},
  load: LoadOptions = {},
): Promise<SplitCheck> {
  const samples = [...inputs.values()][0]?.shape[0] ?? 0;
  const staged = await runtime.load(memoryPackage(split.manifest, split.files), load);
  let reference: StagedModel | undefined;
  const exits = staged.stages;
  const difference = new Float64Array(exits);
  const scale = new Float64Array(exits);
  try {
    reference = await runtime.load(referencePackage(split), load);
    const live = tensorLiveness(staged.manifest);
    for (let from = 0; from < samples; from += batchSize) {
      const to = Math.min(samples, from + batchSize);
      const batch: TensorMap = Object.fromEntries(
        [...inputs].map(([name, tensor]) => [name, stageTensor(sliceBatch(tensor, from, to))]),
      );
      let carried: TensorMap = pick(batch, live[0]!);
      for (let exit = 0; exit < exits; exit++) {
        const output = await staged.runStage(exit, carried);
        const expected = await reference.runStage(
          exit,
          pick(batch, reference.manifest.stages[exit]!.consumes),
        );
        compare(expected.logits, output.logits, exit, difference, scale);
        if (exit < exits - 1)
          carried = carryTensors(staged.manifest, exit, carried, output.tensors, live[exit + 1]!);
      }
      onProgress(to, samples);
    }
  } finally {
    await Promise.allSettled([staged.dispose(), reference?.dispose()]);
  }
  return {
    samples,
    errors: [...difference].map((d, k) => (scale[k]! === 0 ? d : d / scale[k]!)),
  };
}

/** The split's manifest with stage `k` replaced by the original model pruned to exit `k`. */
function referencePackage(split: SplitToVerify): ModelPackage {
  const files = new Map<string, Uint8Array>();
  const stages = (split.manifest.stages as Record<string, unknown>[]).map((stage, k) => {
    const { bytes, inputs } = split.references[k]!;
    const file = `reference-${k}.onnx`;
    files.set(file, bytes);
    return { ...stage, file, sha256: sha256Hex(bytes), consumes: inputs, produces: [] };
  });
  const { full: _, ...rest } = split.manifest;
  return memoryPackage(
    { ...rest, id: `${String(split.manifest.id)} (reference)`, stages, tensors: [] },
    files,
  );
}

function memoryPackage(
  manifest: Record<string, unknown>,
  files: ReadonlyMap<string, Uint8Array>,
): ModelPackage {
  const id = String(manifest.id);
  return {
    manifest: parseManifest(JSON.stringify(manifest), `${id}/model.json`),
    location: `memory:${id}`,
    readFile: async (name) => files.get(name)!,
  };
}

function pick(tensors: TensorMap, names: readonly (string | { readonly name: string })[]): TensorMap {
  return Object.fromEntries(
    names.map((entry) => {
      const name = typeof entry === 'string' ? entry : entry.name;
      return [name, tensors[name]!];
    }),
  );
}

function stageTensor(tensor: Tensor): StageTensor {
  return { dtype: tensor.dtype, data: tensor.data, shape: tensor.shape } as StageTensor;
}

function compare(
  a: StageTensor,
  b: StageTensor,
  exit: number,
  difference: Float64Array,
  scale: Float64Array,
): void {
  for (let k = 0; k < a.data.length; k++) {
    const x = Number(a.data[k]);
    const y = Number(b.data[k]);
    const delta =
      Number.isNaN(x) && Number.isNaN(y)
        ? 0
        : Number.isNaN(x - y)
          ? Number.POSITIVE_INFINITY
          : Math.abs(x - y);
    if (delta > difference[exit]!) difference[exit] = delta;
    if (Math.abs(x) > scale[exit]! && Number.isFinite(x)) scale[exit] = Math.abs(x);
  }
}
