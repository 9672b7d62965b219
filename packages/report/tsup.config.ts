import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.config.base';

export default defineConfig(
  packageBuild({
    index: 'src/index.ts',
    'data/index': 'src/data/index.ts',
    'node/index': 'src/node/index.ts',
  }),
);
