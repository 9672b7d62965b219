import { defineConfig } from 'vitest/config';

// The WebGPU conformance run (SwiftShader without a GPU): minutes, so outside `npm test`.
export default defineConfig({
  test: { include: ['src/**/*.gpu-test.ts'], testTimeout: 900_000, hookTimeout: 900_000 },
});
