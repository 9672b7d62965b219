import {
  type CalibrationProfile,
  type CompiledPolicy,
  calibrate,
  compilePolicy,
  headOverheads,
  manifestCosts,
  type Runtime,
  runEarlyExit,
} from '@pcee/core';
import { loadReferenceModel } from '@pcee/models';
import { nodeRuntime, openModelPackage } from '@pcee/runtime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { FusedRunner } from './fused-runner.js';
import { fusionDeltas, liveExitsOf } from './test-support/fusion-deltas.js';

/** The policy with the tables of `drop` never exiting: what the fused model runs after `alsoDrop`. */
function withoutExits(policy: CompiledPolicy, drop: readonly number[]): CompiledPolicy {
  return {
    ...policy,
    tables: policy.tables.map((table, exit) =>
      drop.includes(exit) ? { ...table, exit: new Uint8Array(table.exit.length) } : table,
    ),
  };
}

/** The real runtime, counting loads (to see the runner's cache at work). */
function countingRuntime(): Runtime & { loads: number } {
  const runtime = {
    ...nodeRuntime,
    loads: 0,
    load: (...args: Parameters<Runtime['load']>) => {
      runtime.loads++;
      return nodeRuntime.load(...args);
    },
  };
  return runtime;
}

describe.each(['fmnist-cnn-large', 'fmnist-vit-large'])(
  'FusedRunner on %s (onnxruntime-node, cpu)',
  async (id) => {
    const reference = await loadReferenceModel(id, openModelPackage, 256);
    const { model: modelPackage, inputs } = reference;
    const costs = manifestCosts(modelPackage.manifest);
    const profile: CalibrationProfile = calibrate(reference.validationTraces, { costs });
    const options = { device: 'cpu', threads: 2 } as const;
    const runner = new FusedRunner(nodeRuntime, modelPackage, options);
    const unfused = await nodeRuntime.load(modelPackage, options);
    afterAll(async () => {
      await runner.dispose();
      await unfused.dispose();
    });

    // δs from the profile, so the cases hold for any weights: every exit live (nothing fuses);
    // some exit dead; δ 1 with every remaining intermediate exit dropped too (one stage); and
    // every exit live but two dropped by hand.
    const { allLive, fuses } = fusionDeltas(profile);
    const last = profile.diagrams.length - 1;
    const intermediate = Array.from({ length: last }, (_, exit) => exit);
    const cases = [
      { name: 'every exit live', delta: allLive, alsoDrop: [] },
      { name: 'some exit dead', delta: fuses, alsoDrop: [] },
      { name: 'one stage', delta: 1, alsoDrop: intermediate },
      { name: 'exits 1 and 3 dropped', delta: allLive, alsoDrop: [1, 3] },
    ];
    const rows = cases.flatMap((testCase) => [1, 64].map((batch) => ({ ...testCase, batch })));
    it.each(rows)(
      '$name (δ $delta, also dropping $alsoDrop), batch $batch: same exit and prediction for every sample',
      async ({ name, delta, alsoDrop, batch }) => {
        const policy = compilePolicy(profile, 'pcee', delta);
        const live = liveExitsOf(policy, alsoDrop);
        if (name === 'every exit live') expect(live).toEqual([...intermediate, last]);
        if (name === 'some exit dead') expect(live.length).toBeLessThan(last + 1);
        if (name === 'one stage') expect(live).toEqual([last]);
        const count = batch === 1 ? 96 : 256;
        const some = {
          ...inputs,
          shape: [count, ...inputs.shape.slice(1)],
          data: inputs.data.subarray(0, count * 784),
        };
        const run = { confidence: profile.confidence, costs, batchSize: batch };
        const expected = await runEarlyExit(unfused, some, {
          ...run,
          policy: withoutExits(policy, alsoDrop),
        });
        const fused = await runner.run(some, { ...run, policy, alsoDrop });
        expect(fused.plan.liveExits).toEqual(live);
        expect(Array.from(fused.exit)).toEqual(Array.from(expected.exit));
        expect(Array.from(fused.prediction)).toEqual(Array.from(expected.prediction));
        expect(Array.from(fused.confidence)).toEqual(
          Array.from(expected.confidence).map((c) => expect.closeTo(c, 5)),
        );
        // Costs are the fused execution's: the original cost minus the dropped heads on the way.
        const heads = headOverheads(modelPackage.manifest);
        fused.exit.forEach((exit, n) => {
          let saved = 0;
          for (let l = 0; l < exit; l++) if (!live.includes(l)) saved += heads[l]!;
          expect(fused.cost[n]).toBe(costs.exits[exit]! - saved);
        });
      },
    );

    it('builds and loads each set of live exits once', async () => {
      const counted = countingRuntime();
      const fresh = new FusedRunner(counted, modelPackage, options);
      const some = {
        ...inputs,
        shape: [8, ...inputs.shape.slice(1)],
        data: inputs.data.subarray(0, 8 * 784),
      };
      const run = { confidence: profile.confidence, costs };
      try {
        // δ 0 and allLive keep every exit (the unfused package); `fuses` fuses.
        for (const delta of [allLive, 0, fuses, fuses, allLive])
          await fresh.run(some, { ...run, policy: compilePolicy(profile, 'pcee', delta) });
        expect(counted.loads).toBe(2);
      } finally {
        await fresh.dispose();
      }
    });
  },
);
