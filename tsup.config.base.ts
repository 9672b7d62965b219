import type { Options } from 'tsup';

/**
 * The one tsup configuration every package builds with: ESM only, declarations,
 * source maps, Node 20 / modern-browser target. Packages pass their entry points.
 */
export function packageBuild(entry: Record<string, string>, overrides: Partial<Options> = {}): Options {
  return {
    entry,
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    splitting: true,
    treeshake: true,
    ...overrides,
  };
}
