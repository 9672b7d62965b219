import { listModels } from '@pcee/models';
import { describe, expect, it } from 'vitest';
import { partitionCosts, pruneToOutput, readModel, writeModel } from './index.js';
import { bundledPackage, fuseBundled, testImages } from './test-support/bundled-models.js';
import { relativeError, runModel, runStages } from './test-support/ort.js';
import { probeAndPartition } from './test-support/split-helpers.js';

/** A bundled package's manifest and its stages as runStages takes them (graph names). */
async function shippedStages(id: string) {
  const modelPackage = bundledPackage(id);
  const { manifest } = modelPackage;
  const stages = await Promise.all(
    manifest.stages.map(async (stage) => ({
      model: readModel(await modelPackage.readFile(stage.file), stage.file),
      consumes: stage.consumes.map((tensor) => tensor.onnxName),
      logits: stage.logits,
    })),
  );
  return { modelPackage, manifest, stages };
}

/**
 * The proof on real graphs: each bundled model, fused from its shipped stages into one
 * multi-exit ONNX (what one torch.onnx.export with an output per exit gives), split again,
 * reproduces the shipped stages' logits, the FLOP counts of its manifest and its full model.
 */
describe.each(listModels().map((model) => model.id))('%s fused then split', (id) => {
  it('splits into the shipped stages, carrying the same tensors and reproducing their logits on 300 test images (≤ 1e-5 relative)', async () => {
    const { manifest, stages: shipped } = await shippedStages(id);
    const images = testImages(manifest, 300);
    const { partition } = await probeAndPartition(fuseBundled(id));
    expect(partition.stages.length).toBe(shipped.length);
    partition.stages.forEach((stage, i) => {
      expect([...stage.consumes].sort()).toEqual([...shipped[i]!.consumes].sort());
      expect(stage.logits).toBe(manifest.stages[i]!.logits);
    });
    const inputs = new Map([['image', images]]);
    const split = await runStages(
      partition.stages.map((stage) => ({ ...stage, model: readModel(writeModel(stage.model)) })),
      inputs,
    );
    const reference = await runStages(shipped, inputs);
    for (const [i, logits] of reference.entries()) {
      expect(relativeError(logits, split[i]!), `exit ${i}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('counts the manifest’s FLOPs per stage backbone and head, exit costs and full-model cost (within 1%)', async () => {
    const { manifest } = bundledPackage(id);
    const { partition, probe } = await probeAndPartition(fuseBundled(id));
    const costs = partitionCosts(partition, probe.shapes);
    const close = (counted: number, expected: number) =>
      expect(Math.abs(counted - expected)).toBeLessThanOrEqual(0.01 * expected);
    costs.stages.forEach((stage, i) => {
      close(stage.backbone, manifest.stages[i]!.flops.backbone);
      close(stage.head, manifest.stages[i]!.flops.head);
    });
    for (const [i, cost] of costs.exitCosts.entries()) close(cost, manifest.exitCosts[i]!);
    close(costs.fullModelCost, manifest.fullModelCost);
  });

  it('prunes the intermediate heads for full.onnx and matches the shipped full model', async () => {
    const modelPackage = bundledPackage(id);
    const { manifest } = modelPackage;
    const images = testImages(manifest, 300);
    const fused = fuseBundled(id);
    const last = manifest.full!.output;
    const pruned = pruneToOutput(fused, last);
    expect(pruned.inputs).toEqual(['image']);
    const fullBytes = await modelPackage.readFile(manifest.full!.file);
    const shipped = await runModel(fullBytes, { image: images });
    const ours = await runModel(pruned.model, { image: images });
    expect(relativeError(shipped.get(last)!, ours.get(last)!)).toBeLessThanOrEqual(1e-5);
    // The same operators as the shipped full model, so every intermediate head is gone
    // (Constants aside: the split copies a constant into each stage that reads it).
    const opTypes = (model: ReturnType<typeof readModel>) =>
      model
        .graph!.node.map((node) => node.opType)
        .filter((opType) => opType !== 'Constant')
        .sort();
    expect(opTypes(pruned.model)).toEqual(opTypes(readModel(fullBytes)));
    expect(pruned.model.graph!.node.length).toBeLessThan(fused.graph!.node.length);
  });
});
