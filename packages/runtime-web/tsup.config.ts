import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.config.base';

// One entry per onnxruntime-web flavour, so an app bundles only the one it imports.
export default defineConfig(
  packageBuild(
    { index: 'src/index.ts', webgpu: 'src/webgpu.ts', wasm: 'src/wasm.ts' },
    { external: ['onnxruntime-web', 'onnxruntime-web/webgpu', 'onnxruntime-web/wasm', '@pcee/core'] },
  ),
);
