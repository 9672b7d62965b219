import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const installCuda = join(packageRoot, 'scripts', 'install-cuda.mjs');
const onnxruntimeRoot = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));

/** Runs the install script with extra environment; the network points at a closed local port. */
function runInstall(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [installCuda, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GLOBAL_AGENT_HTTPS_PROXY: 'http://127.0.0.1:9', ...env },
    timeout: 60_000,
  });
}

// Regression: the documented `ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci` could not work, because
// allowScripts turns off onnxruntime-node's install step, the one that downloads the CUDA libraries.
describe('npm run install:cuda', () => {
  it('is the runtime package script, shipped with the package', () => {
    const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
    expect(manifest.scripts['install:cuda']).toBe('node scripts/install-cuda.mjs');
    expect(manifest.files).toContain('scripts');
  });

  it("--dry-run names onnxruntime-node's own install step with the cuda12 flag, and runs nothing", () => {
    const result = runInstall(['--dry-run']);
    expect(result.status).toBe(0);
    const step = JSON.parse(result.stdout);
    expect(step.args).toEqual([
      join(onnxruntimeRoot, 'script', 'install.js'),
      '--onnxruntime-node-install=cuda12',
    ]);
    expect(existsSync(step.args[0])).toBe(true);
    expect(step.env).toEqual({ ONNXRUNTIME_NODE_INSTALL: 'cuda12' });
    expect(step.cwd).toBe(onnxruntimeRoot);
  });

  // The real step, with the network unreachable: it must try to download (not skip), then fail
  // with one line naming the feed. An inherited ONNXRUNTIME_NODE_INSTALL=skip, which
  // onnxruntime-node reads before its command line, must not turn the step into a no-op.
  it.each<Record<string, string>>([{}, { ONNXRUNTIME_NODE_INSTALL: 'skip' }])(
    'runs the step, which tries to download the CUDA libraries (environment %o)',
    (env) => {
      const result = runInstall([], env);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('ECONNREFUSED 127.0.0.1:9');
      expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(
        /^error: onnxruntime-node's CUDA install step failed \(exit 1\); it needs https:\/\/api\.nuget\.org/,
      );
    },
  );

  it('onnxruntime-node itself would skip the step when asked to, so the test above can fail', () => {
    const result = spawnSync(process.execPath, [join(onnxruntimeRoot, 'script', 'install.js')], {
      cwd: onnxruntimeRoot,
      encoding: 'utf8',
      env: {
        ...process.env,
        ONNXRUNTIME_NODE_INSTALL: 'skip',
        GLOBAL_AGENT_HTTPS_PROXY: 'http://127.0.0.1:9',
      },
    });
    expect(result.status).toBe(0);
    expect(result.stderr).not.toContain('ECONNREFUSED');
  });
});
