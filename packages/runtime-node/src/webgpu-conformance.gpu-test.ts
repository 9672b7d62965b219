import { existsSync } from 'node:fs';
import { conformanceCases } from '@pcee/core/testing';
import { describe, it } from 'vitest';
import { nodeRuntime } from './node-runtime.js';
import { loadReferenceModel } from './test-support/reference-models.js';

// Not part of `npm test`: SwiftShader runs ~100× slower than the CPU provider (this file takes
// minutes). Run it with `npm run test:webgpu -w @pcee/runtime-node`.
//
// Without a GPU, Dawn finds a WebGPU adapter only through SwiftShader's Vulkan driver. The
// Vulkan loader reads this variable when the first WebGPU session starts, and each vitest
// file runs in its own process, so setting it here affects this file only.
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

const capabilities = await nodeRuntime.capabilities();
const webgpu = capabilities.devices.find((device) => device.name === 'webgpu');

describe.skipIf(!webgpu?.available)(
  'conformance on webgpu (SwiftShader without a GPU): fmnist-cnn-small',
  async () => {
    const reference = await loadReferenceModel('fmnist-cnn-small', 64);
    const cases = conformanceCases({
      runtime: nodeRuntime,
      loadOptions: { device: 'webgpu' },
      model: reference.model,
      inputs: reference.inputs,
      referenceTraces: reference.testTraces,
      calibrationTraces: reference.validationTraces,
      // Fewer samples and thresholds than on cpu keep SwiftShader to a couple of minutes.
      samples: 64,
      deltas: [0.8, 0.95],
    });
    it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_, testCase) =>
      testCase.run(),
    );
  },
);
