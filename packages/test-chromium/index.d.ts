import type { BrowserContext, chromium } from 'playwright-core';

/** The Chromium binary: Debian's, or `PCEE_CHROMIUM`. */
export declare const chromiumPath: string;
/** Flags for headless Chromium on this project's machines. */
export declare const CHROMIUM_FLAGS: readonly string[];
/** Options: `webgpu` adds `--enable-unsafe-webgpu`; the rest go to playwright's persistent context. */
export type LaunchChromiumOptions = { webgpu?: boolean } & Omit<
  NonNullable<Parameters<typeof chromium.launchPersistentContext>[1]>,
  'executablePath' | 'args' | 'headless'
>;
/** Launches Chromium with a fresh profile; `close()` closes it and removes the profile. */
export declare function launchChromium(
  options?: LaunchChromiumOptions,
): Promise<{ context: BrowserContext; close(): Promise<void> }>;
