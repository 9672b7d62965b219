#!/usr/bin/env node
/**
 * `npm run bench`: lists every benchmark (packages/<package>/bench/<name>.bench.mjs) with what it
 * measures (its `// Measures: …` line). `npm run bench -- <name> [args…]` runs one
 * (build first: `npx turbo run build`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTable } from './bench-kit.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every benchmark with its package and what it measures. */
export function listBenchmarks() {
  const benchmarks = [];
  for (const folder of readdirSync(join(root, 'packages')).sort()) {
    const benchDir = join(root, 'packages', folder, 'bench');
    if (!existsSync(benchDir)) continue;
    for (const file of readdirSync(benchDir)
      .filter((name) => name.endsWith('.bench.mjs'))
      .sort()) {
      const measures = readFileSync(join(benchDir, file), 'utf8').match(/^\/\/ Measures: (.+)$/m)?.[1];
      if (!measures)
        throw new Error(
          `packages/${folder}/bench/${file} lacks its "// Measures: …" line; add one saying what it measures`,
        );
      const sentence = measures;
      benchmarks.push({
        name: file.replace(/\.bench\.mjs$/, ''),
        package: folder,
        path: `packages/${folder}/bench/${file}`,
        measures: sentence,
      });
    }
  }
  return benchmarks;
}

const [name, ...args] = process.argv.slice(2);
const benchmarks = listBenchmarks();
if (!name) {
  console.log(
    renderTable(
      ['benchmark', 'package', 'measures'],
      benchmarks.map((b) => [b.name, b.package, b.measures]),
    ),
  );
  console.log('\nrun one: npm run bench -- <benchmark> [args…]  (after npx turbo run build)');
} else {
  const benchmark = benchmarks.find((candidate) => candidate.name === name);
  if (!benchmark) {
    console.error(`no benchmark "${name}"; the benchmarks are: ${benchmarks.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  const run = spawnSync(process.execPath, [join(root, benchmark.path), ...args], {
    cwd: join(root, 'packages', benchmark.package),
    stdio: 'inherit',
  });
  process.exit(run.status ?? 1);
}
