import { createCpuSession, runSession } from '@pcee/attach';
import { sliceBatch, type Tensor } from '@pcee/core';

/** A stage as the verifier runs it. */
export interface StageToVerify {
  readonly bytes: Uint8Array;
  readonly consumes: readonly string[];
  readonly logits: string;
}

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

/**
 * Runs the original model and the stages, chained (each stage fed the model inputs and the
 * tensors earlier stages produced that it consumes), on the same inputs in batches, with
 * onnxruntime-node on the CPU, and compares every exit's logits.
 */
export async function verifySplit(
  original: Uint8Array,
  exits: readonly string[],
  stages: readonly StageToVerify[],
  inputs: ReadonlyMap<string, Tensor>,
  batchSize: number,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<SplitCheck> {
  const samples = [...inputs.values()][0]?.shape[0] ?? 0;
  const reference = await createCpuSession(original);
  const sessions = await Promise.all(stages.map((stage) => createCpuSession(stage.bytes)));
  const difference = new Float64Array(exits.length);
  const scale = new Float64Array(exits.length);
  try {
    for (let from = 0; from < samples; from += batchSize) {
      const to = Math.min(samples, from + batchSize);
      const batch = new Map([...inputs].map(([name, tensor]) => [name, sliceBatch(tensor, from, to)]));
      const expected = await runSession(reference, batch);
      const pool = new Map(batch);
      for (const [k, stage] of stages.entries()) {
        const outputs = await runSession(sessions[k]!, pool);
        for (const [name, tensor] of outputs) pool.set(name, tensor);
        compare(expected.get(exits[k]!)!, outputs.get(stage.logits)!, k, difference, scale);
      }
      onProgress(to, samples);
    }
  } finally {
    await Promise.all([reference, ...sessions].map((session) => session.release()));
  }
  return {
    samples,
    errors: [...difference].map((d, k) => (scale[k]! === 0 ? d : d / scale[k]!)),
  };
}

function compare(a: Tensor, b: Tensor, exit: number, difference: Float64Array, scale: Float64Array): void {
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
