import { describe, expect, it } from 'vitest';
import { depthCosts } from '../cost/index.js';
import { InvalidInputError } from '../errors/index.js';
import type { StageTensor, TensorMap } from '../model/index.js';
import { compilePolicy } from '../policy/index.js';
import type { StagedModel, StageOutput } from '../runtime/index.js';
import { handManifest } from '../test-support/hand-manifest.js';
import { handProfile } from '../test-support/hand-profile.js';
import { runEarlyExit, traceModel } from './early-exit-runner.js';

/**
 * A three-stage model written in TypeScript, shaped like a text classifier: int64 token ids
 * and a bool mask go in; stage 0 produces hidden states; stage 2 needs the ids again, so
 * they ride along through stage 1. Every sample's logits depend only on its own rows, so
 * any batching and compaction must give the same answer as running it alone.
 */
function textLikeModel(): StagedModel & { readonly seen: string[][] } {
  const manifest = handManifest(
    'text-like',
    [
      { name: 'ids', dtype: 'int64', shape: ['batch', 'sequence'] },
      { name: 'mask', dtype: 'bool', shape: ['batch', 'sequence'] },
    ],
    ['no', 'yes'],
    [
      { consumes: ['ids', 'mask'], produces: ['hidden'] },
      { consumes: ['hidden'], produces: ['hidden_2'] },
      { consumes: ['hidden_2', 'ids', 'mask'] },
    ],
  );

  const seen: string[][] = [];
  const rows = (tensor: StageTensor) => tensor.shape[0]!;
  const logitsOf = (scores: number[]): StageOutput['logits'] => ({
    dtype: 'float32',
    data: Float32Array.from(scores.flatMap((score) => [0, score])),
    shape: [scores.length, 2],
  });
  return {
    manifest,
    stages: 3,
    device: 'cpu',
    seen,
    async runStage(index: number, inputs: TensorMap): Promise<StageOutput> {
      seen.push(Object.keys(inputs).sort());
      if (index === 0) {
        const { ids, mask } = inputs as { ids: StageTensor<BigInt64Array>; mask: StageTensor<Uint8Array> };
        const length = ids.shape[1]!;
        const hidden = new Float32Array(rows(ids));
        for (let n = 0; n < rows(ids); n++) {
          for (let t = 0; t < length; t++)
            hidden[n]! += mask.data[n * length + t]! * Number(ids.data[n * length + t]);
        }
        return {
          logits: logitsOf([...hidden].map((value) => (value % 7) - 3)),
          tensors: { hidden: { dtype: 'float32', data: hidden, shape: [rows(ids), 1] } },
        };
      }
      if (index === 1) {
        const hidden = inputs.hidden!.data as Float32Array;
        const doubled = hidden.map((value) => value * 2);
        return {
          logits: logitsOf([...doubled].map((value) => (value % 5) - 2)),
          tensors: { hidden_2: { dtype: 'float32', data: doubled, shape: [hidden.length, 1] } },
        };
      }
      const { ids } = inputs as { ids: StageTensor<BigInt64Array> };
      const hidden = inputs.hidden_2!.data as Float32Array;
      return {
        logits: logitsOf([...hidden].map((value, n) => value - Number(ids.data[n * ids.shape[1]!]))),
        tensors: {},
      };
    },
    async dispose() {},
  };
}

const samples = 37;
const sequence = 5;
const ids: StageTensor = {
  dtype: 'int64',
  data: BigInt64Array.from({ length: samples * sequence }, (_, index) => BigInt((index * 7919) % 31)),
  shape: [samples, sequence],
};
const mask: StageTensor = {
  dtype: 'bool',
  data: Uint8Array.from({ length: samples * sequence }, (_, index) =>
    index % sequence < 2 + (index % 3) ? 1 : 0,
  ),
  shape: [samples, sequence],
};
// Exits 0 and 1 exit in their upper bins only, so some samples leave at each exit.
const profile = handProfile([
  [
    [10, 2],
    [10, 2],
    [10, 10],
  ],
  [
    [10, 2],
    [10, 2],
    [10, 10],
  ],
  [
    [10, 5],
    [10, 5],
    [10, 5],
  ],
]);
const options = (batchSize: number) => ({
  policy: compilePolicy(profile, 'pcee', 0.9),
  confidence: 'max-softmax' as const,
  costs: depthCosts(3),
  batchSize,
});

describe('runEarlyExit with named tensors of several dtypes', () => {
  it.each([1, 3, 8, 64])(
    'batch %i gives the same exits and predictions as one sample at a time',
    async (batch) => {
      const one = await runEarlyExit(textLikeModel(), { ids, mask }, options(1));
      const batched = await runEarlyExit(textLikeModel(), { ids, mask }, options(batch));
      expect([...batched.exit]).toEqual([...one.exit]);
      expect([...batched.prediction]).toEqual([...one.prediction]);
      expect(new Set(one.exit)).toEqual(new Set([0, 1, 2]));
    },
  );

  it('carries only live tensors: ids and mask ride through stage 1 to stage 2, hidden is dropped', async () => {
    const model = textLikeModel();
    await runEarlyExit(model, { ids, mask, unused: ids }, options(64));
    expect(model.seen[0]).toEqual(['ids', 'mask']);
    expect(model.seen[1]).toEqual(['hidden', 'ids', 'mask']);
    expect(model.seen[2]).toEqual(['hidden_2', 'ids', 'mask']);
  });

  it('traces every exit of every sample', async () => {
    const traced = await traceModel(textLikeModel(), { ids, mask }, { batchSize: 10 });
    expect(traced).toMatchObject({ samples, exits: 3, classes: 2 });
    expect(traced.logits).toHaveLength(samples * 3 * 2);
  });

  it.each([
    ['a missing input', { ids }, /model "text-like" needs input "mask" \(given: ids\)/],
    ['a bare tensor for a two-input model', ids, /takes 2 inputs \(ids, mask\); pass them by name/],
    [
      'inputs of different batch sizes',
      { ids, mask: { ...mask, data: mask.data.subarray(0, sequence), shape: [1, sequence] } },
      /tensor "mask" has 1 samples but "ids" has 37/,
    ],
  ])('refuses %s, naming it', async (_, inputs, message) => {
    const run = runEarlyExit(textLikeModel(), inputs as TensorMap, options(8));
    await expect(run).rejects.toThrow(InvalidInputError);
    await expect(runEarlyExit(textLikeModel(), inputs as TensorMap, options(8))).rejects.toThrow(message);
  });
});
