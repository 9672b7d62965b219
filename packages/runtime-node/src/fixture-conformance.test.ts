import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { preprocessModelInputs, readNpz, tracesFromTensors } from '@pcee/core';
import { conformanceCases } from '@pcee/core/testing';
import { FIXTURE_FEATURES, FIXTURE_PACKAGES, FIXTURE_PACKAGES_FOLDER } from '@pcee/onnx/testing';
import { describe, expect, it } from 'vitest';
import { openModelPackage } from './model-package.js';
import { nodeRuntime } from './node-runtime.js';

// Models nobody tuned for PCEE, split by `pcee split` from one PyTorch export each: several
// carried tensors, a tensor that skips a stage, int64 inputs. The shared conformance suite
// runs them through the runner with compaction (batch 1, 7, 64) against the UNSPLIT model's
// logits, so a split, carry or compaction bug in any dtype fails here.
const fixtures = join(
  dirname(createRequire(import.meta.url).resolve('@pcee/onnx/package.json')),
  FIXTURE_PACKAGES_FOLDER,
);

describe.each(FIXTURE_PACKAGES)('conformance on cpu: fixture %s', async (name) => {
  const folder = join(fixtures, name);
  const model = await openModelPackage(folder);
  const reference = readNpz(new Uint8Array(readFileSync(join(folder, 'reference.npz'))));
  const referenceTraces = tracesFromTensors(reference);
  const cases = conformanceCases({
    runtime: nodeRuntime,
    loadOptions: { device: 'cpu', threads: 2 },
    model,
    inputs: preprocessModelInputs(model.manifest, reference),
    referenceTraces,
    samples: referenceTraces.samples,
  });

  it(`is a v2 package with ${FIXTURE_FEATURES[name]}`, () => {
    const carried = model.manifest.stages.map((stage) => stage.produces.length);
    expect(carried.at(-1)).toBe(0);
    if (name !== 'tiny-vit') expect(Math.max(...carried)).toBeGreaterThanOrEqual(2);
    if (name === 'tiny-bert')
      expect(model.manifest.inputs.map((input) => input.dtype)).toEqual(['int64', 'int64']);
  });
  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_, testCase) => testCase.run());
});
