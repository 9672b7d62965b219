import { conformanceCases } from '@pcee/core/testing';
import { describe, it } from 'vitest';
import { nodeRuntime } from './node-runtime.js';
import { loadReferenceModel } from './test-support/reference-models.js';

// The shared adapter conformance suite on real bundled models through real onnxruntime-node:
// traced logits equal the shipped test traces, exits equal the simulated policy, etc.
describe.each(['fmnist-cnn-small', 'fmnist-cnn-large'])('conformance on cpu: %s', async (id) => {
  const reference = await loadReferenceModel(id, 128);
  const cases = conformanceCases({
    runtime: nodeRuntime,
    loadOptions: { device: 'cpu', threads: 2 },
    model: reference.model,
    inputs: reference.inputs,
    referenceTraces: reference.testTraces,
    calibrationTraces: reference.validationTraces,
  });
  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_, testCase) => testCase.run());
});
