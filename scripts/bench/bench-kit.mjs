/**
 * The one way PCEE's benchmarks report: each prints its measurements as aligned tables (the
 * CLI's table style), then its whole result as one JSON line, which it also writes to
 * `$PCEE_BENCH_OUT/<name>.json` when that variable names a folder. Timing helpers come from
 * `@pcee/core` (median, interleaved rounds), so no benchmark keeps its own copy.
 * Benchmarks live in `packages/<package>/bench/<name>.bench.mjs`; `npm run bench` lists them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';

export { interleavedMedians, median } from '@pcee/core';

const BORDERLESS = Object.fromEntries(
  ['top', 'top-mid', 'top-left', 'top-right', 'bottom', 'bottom-mid', 'bottom-left', 'bottom-right']
    .concat(['left', 'left-mid', 'mid', 'mid-mid', 'right', 'right-mid', 'middle'])
    .map((name) => [name, '']),
);

/** Renders rows under a header as an aligned, borderless table (numbers right-aligned). */
export function renderTable(header, rows) {
  const numeric = header.map((_, column) =>
    rows.every((row) => /^[-+]?[\d.,]+(×|%| ms| s)?$|^-$/.test(String(row[column] ?? ''))),
  );
  const table = new Table({
    head: header,
    colAligns: numeric.map((isNumber) => (isNumber ? 'right' : 'left')),
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2 },
    chars: BORDERLESS,
  });
  for (const row of rows)
    table.push(row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** Prints a titled table. */
export function printTable(title, header, rows) {
  console.log(`\n${title}\n${renderTable(header, rows)}`);
}

/** Prints the benchmark's whole result as one JSON line, and saves it under $PCEE_BENCH_OUT. */
export function printJson(name, result) {
  console.log(JSON.stringify(result));
  const folder = process.env.PCEE_BENCH_OUT;
  if (folder) {
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  }
}

/** A number with `digits` decimals, or "-" when missing. */
export const fixed = (value, digits = 3) =>
  value === null || value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);

/** A share in [0, 1] as a percentage, or "-" when missing. */
export const percent = (value, digits = 2) =>
  value === null || value === undefined || Number.isNaN(value) ? '-' : `${(100 * value).toFixed(digits)}%`;

/** A ratio such as a speedup, "2.41×". */
export const times = (value, digits = 2) =>
  value === null || value === undefined || Number.isNaN(value) ? '-' : `${value.toFixed(digits)}×`;
