import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.config.base';

// The protocol worker is its own entry: worker threads load it by file (`dist/protocol-worker.js`).
export default defineConfig(
  packageBuild({ index: 'src/index.ts', 'protocol-worker': 'src/workers/protocol-worker.ts' }),
);
