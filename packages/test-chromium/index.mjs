import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/** The Chromium binary: Debian's, or `PCEE_CHROMIUM`. Never a downloaded browser. */
export const chromiumPath = process.env.PCEE_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Flags for headless Chromium on this project's machines: no sandbox (root), and no
 * background networking (the machines have no internet; Chromium's own connections
 * would be refused many at a time).
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Chromium with a fresh profile folder (playwright's persistent context is how
 * `--user-data-dir` is passed). `webgpu` adds `--enable-unsafe-webgpu` (SwiftShader's
 * software adapter where there is no GPU); other options go to playwright.
 * `close()` closes the browser and removes the profile.
 */
export async function launchChromium({ webgpu = false, ...contextOptions } = {}) {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `${chromiumPath} not found; install Debian's chromium (apt-get install chromium) or set PCEE_CHROMIUM`,
    );
  }
  const profile = await mkdtemp(join(tmpdir(), 'pcee-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : [])],
    ...contextOptions,
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
