import { type CalibrationProfile, compilePolicy, withLiveExit } from '@pcee/core';
import { openEngine } from '@pcee/engine';
import { modelDir } from '@pcee/models';
import { nodeRuntime, openModelPackage } from '@pcee/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../serve-server.js';
import { bundledProfile, inferBody, preprocessedImages, testImages } from '../test-support/bundled-models.js';
import { outputData, postInfer, startTestServer } from '../test-support/test-server.js';

const ID = 'fmnist-cnn-large';
const IMAGES = 96;

/**
 * A δ at which PCEE never takes at least one intermediate exit, read from the profile so it
 * holds for whatever weights the model has: just above the lowest best-bin accuracy over the
 * intermediate exits (an exit is live while δ ≤ its most accurate non-empty bin).
 */
function fusingDelta(profile: CalibrationProfile): number {
  const best = profile.diagrams.slice(0, -1).map((diagram) => {
    let accuracy = 0;
    diagram.count.forEach((count, bin) => {
      if (count > 0) accuracy = Math.max(accuracy, diagram.correct[bin]! / count);
    });
    return accuracy;
  });
  return Math.min(1, Math.min(...best) + 1e-3);
}

// Issue 22 item 3: a tuned profile runs identically offline (`pcee run`'s engine, fused by
// default) and served (per-stage batching across requests, on the same fused stages).
describe('the server and `pcee run` share one engine', () => {
  const profile = bundledProfile(ID);
  const delta = fusingDelta(profile);
  const { pixels } = testImages(IMAGES);
  let server: RunningServer;

  beforeAll(async () => {
    server = await startTestServer(ID, { maxBatch: 16, maxDelayMs: 2, batching: 'per-stage' }, delta);
  });
  afterAll(() => server?.close());

  it('answers every sample with the exit and prediction the fused engine gives', async () => {
    const modelPackage = await openModelPackage(modelDir(ID));
    const engine = await openEngine(nodeRuntime, modelPackage, {}, true);
    const offline = await engine
      .run(preprocessedImages(modelPackage.manifest, pixels, IMAGES), {
        policy: compilePolicy(profile, 'pcee', delta),
        confidence: profile.confidence,
        costs: profile.costs,
        batchSize: 16,
      })
      .finally(() => engine.dispose());
    // The δ really fuses: some exit is dropped and stages run as one graph.
    expect(offline.plan.liveExits.length).toBeLessThan(modelPackage.manifest.stages.length);
    expect(offline.plan.groups.some((group) => group.length > 1)).toBe(true);

    const sizes = [5, 1, 16, 3, 9, 12, 2, 7];
    const requests: Promise<{ from: number; json: Record<string, unknown> }>[] = [];
    for (let from = 0, index = 0; from < IMAGES; index++) {
      const to = Math.min(IMAGES, from + sizes[index % sizes.length]!);
      const start = from;
      requests.push(
        postInfer(server, ID, inferBody(pixels, start, to)).then(({ status, json }) => {
          expect(status, JSON.stringify(json).slice(0, 300)).toBe(200);
          return { from: start, json };
        }),
      );
      from = to;
    }
    const exits = new Array<number>(IMAGES);
    const predictions = new Array<number>(IMAGES);
    for (const { from, json } of await Promise.all(requests)) {
      outputData(json, 'exit').forEach((exit, row) => {
        exits[from + row] = exit;
      });
      outputData(json, 'prediction').forEach((prediction, row) => {
        predictions[from + row] = prediction;
      });
    }
    expect(exits).toEqual(Array.from(offline.result.exit));
    expect(predictions).toEqual(Array.from(offline.result.prediction));
    // Samples leave only at live exits of the plan (exit 0 is kept for the drift monitor).
    const live = new Set([0, ...offline.plan.liveExits]);
    expect(exits.every((exit) => live.has(exit))).toBe(true);
    // The server ran fused stages: a stage inside a fused group never ran on its own.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const ran = new Set(
      [...metrics.matchAll(/pcee_stage_batch_size_count\{[^}]*stage="(\d+)"[^}]*\} (\d+)/g)]
        .filter((match) => Number(match[2]) > 0)
        .map((match) => Number(match[1])),
    );
    // Metrics name a fused stage by its first original stage; the others never run alone.
    const fusedAway = withLiveExit(offline.plan, 0).groups.flatMap((group) => group.slice(1));
    expect(fusedAway.length).toBeGreaterThan(0);
    for (const stage of fusedAway) expect(ran.has(stage), `stage ${stage} ran alone`).toBe(false);
    expect(ran.has(0)).toBe(true);
  });
});
