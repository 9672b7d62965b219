import { conformanceCases } from '@pcee/core/testing';
import { describe, it } from 'vitest';
import { webRuntime } from './index.js';
import { loadReferenceModel } from './test-support/reference-models.js';

// The shared adapter conformance suite on a real bundled model through real onnxruntime-web
// (its Node build, wasm): traced logits equal the shipped test traces, exits equal the
// simulated policy, concurrency, dispose. The browser run (webgpu too) is `npm run test:browser`.
describe('conformance on wasm (Node): fmnist-cnn-small', async () => {
  const reference = await loadReferenceModel('fmnist-cnn-small', 128);
  const cases = conformanceCases({
    runtime: webRuntime,
    loadOptions: { device: 'wasm' },
    model: reference.model,
    inputs: reference.inputs,
    referenceTraces: reference.testTraces,
    calibrationTraces: reference.validationTraces,
  });
  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_, testCase) => testCase.run());
});
