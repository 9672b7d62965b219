import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { temporaryFolder } from '../test-support/run-cli.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const launcher = join(packageRoot, 'bin', 'pcee.js');
const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));

/** A copy of the launcher in a package folder without dist/, as a fresh clone has it. */
function unbuiltPackage(): string {
  const root = temporaryFolder();
  mkdirSync(join(root, 'bin'));
  copyFileSync(launcher, join(root, 'bin', 'pcee.js'));
  return root;
}

// Regression: the bin used to point at dist/bin.js, which does not exist when `npm ci` runs on
// a fresh clone, so npm linked no `pcee` and the README's `npx pcee` failed after the build.
describe('the pcee bin launcher', () => {
  it('is what package.json names as the bin, and lives outside dist/', () => {
    expect(manifest.bin).toEqual({ pcee: './bin/pcee.js' });
    expect(manifest.files).toContain('bin');
    expect(existsSync(launcher)).toBe(true);
  });

  it('runs the built CLI', () => {
    const version = execFileSync(process.execPath, [launcher, '--version'], { encoding: 'utf8' });
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('says to build when dist/ is missing: one error line, exit 1', () => {
    const root = unbuiltPackage();
    const result = spawnSync(process.execPath, [join(root, 'bin', 'pcee.js'), '--version'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `error: pcee is not built yet (${join(root, 'dist', 'bin.js')} is missing); build it with: npm run build\n`,
    );
  });

  it('is linked by npm install before any build, and npx pcee runs the build afterwards', () => {
    // A workspace shaped like this repository, with the real launcher and no dependencies, so
    // npm links bins exactly as `npm ci` does on a fresh clone, offline.
    const root = temporaryFolder();
    const cli = join(root, 'packages', 'cli');
    mkdirSync(join(cli, 'bin'), { recursive: true });
    copyFileSync(launcher, join(cli, 'bin', 'pcee.js'));
    writeFileSync(
      join(root, 'package.json'),
      JSON.stringify({ name: 'fresh-clone', private: true, workspaces: ['packages/*'] }),
    );
    writeFileSync(
      join(cli, 'package.json'),
      JSON.stringify({ name: '@pcee/cli', version: '0.0.0', type: 'module', bin: manifest.bin }),
    );
    const npm = (...args: string[]) =>
      spawnSync('npm', args, {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, npm_config_yes: 'false' },
      });
    const install = npm('install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts');
    expect(install.status, install.stderr).toBe(0);
    expect(existsSync(join(root, 'node_modules', '.bin', 'pcee'))).toBe(true);

    const unbuilt = npm('exec', '--no', '--', 'pcee', '--version');
    expect(unbuilt.status).toBe(1);
    expect(unbuilt.stderr).toContain('error: pcee is not built yet');

    mkdirSync(join(cli, 'dist'));
    writeFileSync(
      join(cli, 'dist', 'bin.js'),
      "console.log('built pcee', process.argv.slice(2).join(' '));\n",
    );
    const built = npm('exec', '--no', '--', 'pcee', '--version');
    expect(built.status, built.stderr).toBe(0);
    expect(built.stdout).toBe('built pcee --version\n');
  });
});
