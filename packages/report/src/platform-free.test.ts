import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const source = dirname(fileURLToPath(import.meta.url));

/** Every module specifier of a file: static imports and re-exports, and dynamic imports. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)'([^']+)'/g)].map((match) => match[1]!);
}

/** Files reachable from `entry` through relative imports, with the packages they import. */
function importGraph(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.includes(file)) continue;
    files.push(file);
    for (const specifier of specifiers(file)) {
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else packages.add(specifier);
    }
  }
  return { files, packages };
}

describe('the main entry', () => {
  it('imports nothing a browser lacks (no node:*, no server-side DOM), and its data subpath no chart library', () => {
    const { files, packages } = importGraph(join(source, 'index.ts'));
    expect(files.length).toBeGreaterThan(10);
    expect([...packages].sort()).toEqual(['@observablehq/plot', '@pcee/core']);
    expect(importGraph(join(source, 'data/index.ts')).packages).toEqual(new Set(['@pcee/core']));
    expect(files.some((file) => file.includes(`${join(source, 'node')}`))).toBe(false);
  });
});
