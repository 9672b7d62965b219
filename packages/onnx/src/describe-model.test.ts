import { describe, expect, it } from 'vitest';
import { describeOnnxModel } from './describe-model.js';
import { partitionCosts } from './partition-costs.js';
import { ortProbeRunner } from './test-support/ort.js';
import { probeAndPartition } from './test-support/split-helpers.js';
import { CLASSES, mlpChain } from './testing/test-models.js';

describe('describeOnnxModel', () => {
  it('lists the exit candidates with the FLOPs of the split at them', async () => {
    const model = mlpChain();
    const { description, nodes, probedOutputTypes } = await describeOnnxModel(
      model,
      ortProbeRunner,
      'mlp.onnx',
    );
    const { probe, partition } = await probeAndPartition(model);
    const costs = partitionCosts(partition, probe.shapes);
    expect(description.file).toBe('mlp.onnx');
    expect(description.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['batch', 8] }]);
    expect(description.exits.map((exit) => exit.name)).toEqual(['exit_0', 'exit_1', 'exit_2']);
    expect(description.exits.map((exit) => exit.classes)).toEqual([CLASSES, CLASSES, CLASSES]);
    expect(description.exits.map((exit) => exit.cumulative)).toEqual(costs.exitCosts);
    expect(description.fullModelCost).toBe(costs.fullModelCost);
    expect(description.splitError).toBeUndefined();
    expect(description.outputs.every((output) => output.exit)).toBe(true);
    expect(nodes).toBe(model.graph!.node.length);
    expect(probedOutputTypes.map((type) => type?.shape)).toEqual(
      description.outputs.map((output) => output.shape),
    );
  });

  it("lists the last exit's cut points short of the output, with their share of its FLOPs", async () => {
    const { description } = await describeOnnxModel(mlpChain(), ortProbeRunner, 'mlp.onnx');
    expect(description.cutPoints.length).toBeGreaterThan(0);
    for (const point of description.cutPoints) {
      expect(point.share).toBeGreaterThanOrEqual(0);
      expect(point.share).toBeLessThan(1);
    }
  });
});
