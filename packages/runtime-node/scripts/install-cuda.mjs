#!/usr/bin/env node
// Installs onnxruntime-node's CUDA 12 provider libraries: runs the package's own install step
// (script/install.js) with the cuda12 flag. `npm ci` never runs that step here, because the
// root package.json turns it off (`allowScripts: {"onnxruntime-node": false}`) so that installs
// work offline and on machines without a GPU; an environment variable cannot turn it back on.
//
//   npm run install:cuda -w @pcee/runtime-node            download the libraries (NuGet feed)
//   npm run install:cuda -w @pcee/runtime-node -- --dry-run   print the step as JSON, run nothing
//
// The step downloads from api.nuget.org. The libraries also need the CUDA 12 runtime and
// cuDNN 9 on the machine (the NVIDIA driver alone is not enough).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const FLAG = 'cuda12';
const require = createRequire(import.meta.url);
const packageRoot = dirname(require.resolve('onnxruntime-node/package.json'));
const script = join(packageRoot, 'script', 'install.js');
const library = join(
  packageRoot,
  'bin',
  'napi-v6',
  process.platform,
  process.arch,
  'libonnxruntime_providers_cuda.so',
);

// The flag on the command line and in the environment: onnxruntime-node reads the environment
// first, so an inherited ONNXRUNTIME_NODE_INSTALL=skip would otherwise win.
const step = {
  command: process.execPath,
  args: [script, `--onnxruntime-node-install=${FLAG}`],
  cwd: packageRoot,
  env: { ONNXRUNTIME_NODE_INSTALL: FLAG },
  installs: library,
};

if (process.argv.includes('--dry-run')) {
  process.stdout.write(`${JSON.stringify(step, null, 2)}\n`);
  process.exit(0);
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  process.stderr.write(
    `error: onnxruntime-node ships CUDA libraries for linux/x64 only, not ${process.platform}/${process.arch}\n`,
  );
  process.exit(1);
}
if (!existsSync(script)) {
  process.stderr.write(`error: ${script} is missing; reinstall onnxruntime-node with: npm ci\n`);
  process.exit(1);
}
process.stderr.write(
  `running onnxruntime-node's install step with ${FLAG} (downloads from api.nuget.org)…\n`,
);
const result = spawnSync(step.command, step.args, {
  cwd: step.cwd,
  env: { ...process.env, ...step.env },
  stdio: 'inherit',
});
if (result.status !== 0 || !existsSync(library)) {
  process.stderr.write(
    `error: onnxruntime-node's CUDA install step failed (exit ${result.status ?? result.signal}); it needs https://api.nuget.org (set GLOBAL_AGENT_HTTPS_PROXY behind a proxy) — see the output above\n`,
  );
  process.exit(1);
}
process.stderr.write(
  `installed ${library}\nnext: the CUDA 12 runtime and cuDNN 9 must be on the library path; check with: npx pcee run … --device cuda\n`,
);
