import { readFileSync } from 'node:fs';
import { createTensor, readNpz, type Tensor } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import { countDistinctParameters, listExitCandidates, readModel } from './index.js';
import { runModel, runStages } from './test-support/ort.js';
import { probeAndPartition } from './test-support/split-helpers.js';

/**
 * The PyTorch exports under fixtures/ (made by fixtures/make_fixtures.py, which computes the
 * tensors crossing each exit with its own implementation of the split rule): our partition
 * must carry exactly those tensors, copy shared weights and constants rather than carry them,
 * and reproduce PyTorch's logits.
 */
interface Fixture {
  readonly name: string;
  readonly file: string;
  readonly samples: string;
  readonly parameters: number;
  readonly outputs: readonly { readonly name: string }[];
  readonly crossing: readonly (readonly {
    readonly name: string;
    readonly dtype: string;
    readonly shape: unknown[];
  }[])[];
  readonly sharedWeights: readonly string[];
  readonly sharedConstants: readonly string[];
}

const folder = new URL('../fixtures/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('fixtures.json', folder), 'utf8')) as {
  fixtures: Fixture[];
  referenceTolerance: { absolute: number };
};

describe.each(manifest.fixtures.map((fixture) => [fixture.name, fixture] as const))(
  'fixture %s',
  (_, fixture) => {
    const model = readModel(new Uint8Array(readFileSync(new URL(fixture.file, folder))), fixture.file);

    it('finds its exits, in depth order, as exit candidates', async () => {
      const { exits } = await probeAndPartition(model);
      expect(exits).toEqual(fixture.outputs.map((output) => output.name));
    });

    it('carries across each exit exactly the tensors fixtures.json lists, with their dtypes and shapes', async () => {
      const { partition } = await probeAndPartition(model);
      const producedBy = new Map<string, number>();
      partition.stages.forEach((stage) => {
        for (const name of stage.produces) producedBy.set(name, stage.index);
      });
      for (const [boundary, expected] of fixture.crossing.entries()) {
        const live = new Set(
          partition.stages
            .slice(boundary + 1)
            .flatMap((stage) => stage.consumes)
            .filter((name) => (producedBy.get(name) ?? -1) <= boundary),
        );
        expect([...live].sort()).toEqual(expected.map((tensor) => tensor.name).sort());
        for (const tensor of expected) {
          expect(partition.types.get(tensor.name)).toEqual({ dtype: tensor.dtype, shape: tensor.shape });
        }
      }
    });

    it('stores shared weights in every stage that reads them and copies shared constants instead of carrying them', async () => {
      const { partition } = await probeAndPartition(model);
      const carried = new Set(partition.stages.flatMap((stage) => stage.produces));
      for (const name of [...fixture.sharedWeights, ...fixture.sharedConstants]) {
        expect(carried.has(name)).toBe(false);
        const holders = partition.stages.filter(
          (stage) =>
            stage.model.graph!.initializer.some((tensor) => tensor.name === name) ||
            stage.model.graph!.node.some((node) => node.output.includes(name)),
        );
        expect(holders.length).toBeGreaterThanOrEqual(2);
      }
    });

    it('reproduces PyTorch’s logits, unsplit and split (within the fixtures’ 1e-4 absolute)', async () => {
      const { partition } = await probeAndPartition(model);
      const arrays = readNpz(new Uint8Array(readFileSync(new URL(fixture.samples, folder))));
      const reference = arrays.get('logits')!;
      const inputs = new Map<string, Tensor>(
        listExitCandidates(model).length > 0 ? [...arrays].filter(([name]) => name !== 'logits') : [],
      );
      const whole = await runModel(model, inputs);
      const split = await runStages(partition.stages, inputs);
      const [samples, exits, classes] = reference.shape as [number, number, number];
      for (let exit = 0; exit < exits; exit++) {
        const expected = createTensor(
          'float32',
          [samples, classes],
          Float32Array.from({ length: samples * classes }, (_, k) =>
            Number(reference.data[(Math.floor(k / classes) * exits + exit) * classes + (k % classes)]),
          ),
        );
        for (const ours of [whole.get(`exit_${exit}`)!, split[exit]!]) {
          let largest = 0;
          for (let k = 0; k < expected.data.length; k++) {
            largest = Math.max(largest, Math.abs(Number(expected.data[k]) - Number(ours.data[k])));
          }
          expect(largest).toBeLessThanOrEqual(manifest.referenceTolerance.absolute);
        }
      }
    });

    it('counts the parameters PyTorch counts (within 1%: BatchNorm folded into a convolution counts C, not 2C)', () => {
      const counted = countDistinctParameters([model]);
      expect(counted).toBeLessThanOrEqual(fixture.parameters);
      expect(counted).toBeGreaterThanOrEqual(0.99 * fixture.parameters);
      if (!model.graph!.node.some((node) => node.opType === 'Conv')) expect(counted).toBe(fixture.parameters);
    });
  },
);
