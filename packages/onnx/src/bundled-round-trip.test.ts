import { listModels } from '@pcee/models';
import { describe, expect, it } from 'vitest';
import { partitionCosts, pruneToOutput, readModel, writeModel } from './index.js';
import { bundledTestImages, fuseBundled, readBundled } from './test-support/bundled-models.js';
import { relativeError, runModel, runStages } from './test-support/ort.js';
import { probeAndPartition } from './test-support/split-helpers.js';

/**
 * The proof on real graphs: each bundled model, fused from its shipped stages into one
 * multi-exit ONNX (what one torch.onnx.export with an output per exit gives), split again,
 * reproduces the shipped stages' logits and the analytic FLOP counts of its manifest.
 */
describe.each(listModels().map((model) => model.id))('%s fused then split', (id) => {
  const images = bundledTestImages(id, 300);

  it('reproduces the shipped stages’ logits on 300 test images (≤ 1e-5 relative)', async () => {
    const { stages: shipped } = readBundled(id);
    const { partition } = await probeAndPartition(fuseBundled(id));
    expect(partition.stages.length).toBe(shipped.length);
    const split = await runStages(
      partition.stages.map((stage) => ({ ...stage, model: readModel(writeModel(stage.model)) })),
      new Map([['image', images]]),
    );
    let features = images;
    for (const [i, bytes] of shipped.entries()) {
      const outputs = await runModel(bytes, { [i === 0 ? 'image' : 'features']: features });
      if (outputs.has('features_out')) features = outputs.get('features_out')!;
      expect(relativeError(outputs.get('logits')!, split[i]!)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('counts the manifest’s FLOPs per stage backbone and head, exit costs and full-model cost (within 1%)', async () => {
    const { manifest } = readBundled(id);
    const { partition, probe } = await probeAndPartition(fuseBundled(id));
    const costs = partitionCosts(partition, probe.shapes);
    const close = (counted: number, analytic: number) =>
      expect(Math.abs(counted - analytic)).toBeLessThanOrEqual(0.01 * analytic);
    costs.stages.forEach((stage, i) => {
      close(stage.backbone, manifest.stages[i]!.flops.backbone);
      close(stage.head, manifest.stages[i]!.flops.head);
    });
    for (const [i, cost] of costs.exitCosts.entries()) close(cost, manifest.exitCosts[i]!);
    close(costs.fullModelCost, manifest.fullModelCost);
  });

  it('prunes the intermediate heads for full.onnx and matches the shipped full model', async () => {
    const { full } = readBundled(id);
    const fused = fuseBundled(id);
    const last = fused.graph!.output.at(-1)!.name;
    const pruned = pruneToOutput(fused, last);
    expect(pruned.inputs).toEqual(['image']);
    const shipped = await runModel(full, { image: images });
    const ours = await runModel(pruned.model, { image: images });
    expect(relativeError(shipped.get('logits')!, ours.get(last)!)).toBeLessThanOrEqual(1e-5);
    // Every head of these models ends in a Gemm and no block has one: one Gemm left = one head.
    const gemms = (model: ReturnType<typeof readModel>) =>
      model.graph!.node.filter((node) => node.opType === 'Gemm').length;
    expect(gemms(pruned.model)).toBe(1);
    expect(gemms(readModel(full))).toBe(1);
  });
});
