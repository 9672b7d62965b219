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
import { FusedRunner } from '@pcee/onnx';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeRuntime } from './node-runtime.js';
import { loadReferenceModel } from './test-support/reference-models.js';

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

// δ 0.9: every exit is live (nothing fuses); 0.995: some exits are dead; 1 with the remaining
// intermediate exits dropped too: everything runs as one stage.
const cases = [
  { id: 'fmnist-cnn-large', delta: 0.9, alsoDrop: [], live: [0, 1, 2, 3, 4, 5] },
  { id: 'fmnist-cnn-large', delta: 0.995, alsoDrop: [], live: [0, 1, 2, 5] },
  { id: 'fmnist-cnn-large', delta: 1, alsoDrop: [], live: [5] },
  { id: 'fmnist-vit-large', delta: 0.9, alsoDrop: [], live: [0, 1, 2, 3, 4, 5, 6, 7] },
  { id: 'fmnist-vit-large', delta: 0.995, alsoDrop: [], live: [4, 7] },
  { id: 'fmnist-vit-large', delta: 0.995, alsoDrop: [4], live: [7] },
  { id: 'fmnist-cnn-large', delta: 0.9, alsoDrop: [1, 3], live: [0, 2, 4, 5] },
] as const;

describe.each(['fmnist-cnn-large', 'fmnist-vit-large'])(
  'FusedRunner on %s (onnxruntime-node, cpu)',
  async (id) => {
    const reference = await loadReferenceModel(id, 256);
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

    const rows = cases
      .filter((testCase) => testCase.id === id)
      .flatMap((testCase) => [1, 64].map((batch) => ({ ...testCase, batch })));
    it.each(rows)(
      'δ $delta, also dropping $alsoDrop, batch $batch: live exits $live, same exit and prediction for every sample',
      async ({ delta, alsoDrop, live, batch }) => {
        const policy = compilePolicy(profile, 'pcee', delta);
        const count = batch === 1 ? 96 : 256;
        const some = {
          ...inputs,
          dims: [count, ...inputs.dims.slice(1)],
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
          for (let l = 0; l < exit; l++) if (!live.includes(l as never)) saved += heads[l]!;
          expect(fused.cost[n]).toBe(costs.exits[exit]! - saved);
        });
      },
    );

    it('builds and loads each set of live exits once', async () => {
      const counted = countingRuntime();
      const fresh = new FusedRunner(counted, modelPackage, options);
      const some = { ...inputs, dims: [8, ...inputs.dims.slice(1)], data: inputs.data.subarray(0, 8 * 784) };
      const run = { confidence: profile.confidence, costs };
      try {
        // δ 0.9 and 0.95 keep every exit (the unfused package); 0.995 fuses.
        for (const delta of [0.9, 0.95, 0.995, 0.995, 0.9])
          await fresh.run(some, { ...run, policy: compilePolicy(profile, 'pcee', delta) });
        expect(counted.loads).toBe(2);
      } finally {
        await fresh.dispose();
      }
    });
  },
);
