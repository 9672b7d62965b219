import { InvalidArgumentError, type StageTensor } from '@pcee/core';
import { loadReferenceModel } from '@pcee/models';
import { bertLike } from '@pcee/onnx/testing';
import { openModelPackage, nodeRuntime as ortRuntime } from '@pcee/runtime-node';
import { describe, expect, it } from 'vitest';
import { measureExitOverhead } from './index.js';
import { splitPackage } from './test-support/split-package.js';

// Timings are not asserted (the machine is shared); what they add up to is.
describe('measureExitOverhead', () => {
  it.each([
    [
      'a bundled multi-scale CNN',
      async () => {
        const { model: modelPackage, inputs } = await loadReferenceModel(
          'fmnist-cnn-small',
          openModelPackage,
          8,
        );
        return { modelPackage, inputs: inputs as StageTensor };
      },
    ],
    ['a split BERT-style model', () => splitPackage(bertLike(), 8)],
  ])('times %s staged and fused on one batch', async (_, make) => {
    const { modelPackage, inputs } = await make();
    const measured = await measureExitOverhead(ortRuntime, modelPackage, inputs, {
      batch: 8,
      repetitions: 1,
    });
    const exits = modelPackage.manifest.stages.length;
    expect(measured.batch).toBe(8);
    expect(measured.stagedMs).toBeGreaterThan(0);
    expect(measured.fusedMs).toBeGreaterThan(0);
    expect(measured.perExitMs).toBeCloseTo(
      Math.max(0, measured.stagedMs - measured.fusedMs) / (exits - 1) / 8,
      12,
    );
  });

  it('rejects a batch larger than the inputs', async () => {
    const { modelPackage, inputs } = await splitPackage(bertLike(), 4);
    const run = measureExitOverhead(ortRuntime, modelPackage, inputs, { batch: 8, repetitions: 1 });
    await expect(run).rejects.toThrow(InvalidArgumentError);
    await expect(measureExitOverhead(ortRuntime, modelPackage, inputs, { batch: 8 })).rejects.toThrow(
      /at batch 8 needs 8 samples, got 4/,
    );
  });
});
