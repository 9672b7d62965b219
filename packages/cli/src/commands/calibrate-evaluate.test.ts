import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  runCli,
  syntheticTraces,
  temporaryFolder,
  writeTensorsFile,
  writeTracesFile,
} from '../../test-support/run-cli.js';

const folder = temporaryFolder();
const validation = writeTracesFile(folder, 'val.npz', syntheticTraces(600, 4, 5, 1));
const test = writeTracesFile(folder, 'test.safetensors', syntheticTraces(400, 4, 5, 2));
const profile = join(folder, 'profile.json');

beforeAll(async () => {
  const result = await runCli('calibrate', validation, '--out', profile);
  expect(result.code).toBe(0);
});

describe('pcee calibrate', () => {
  it('prints a per-exit table with accuracy, ECE, MCE and cost', async () => {
    const result = await runCli('calibrate', validation, '--out', join(folder, 'p-table.json'));
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/exit\s+accuracy\s+ECE\s+MCE\s+cost \(depth\)/);
    expect(result.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('--json prints {"exits":[{index, accuracy, ece, mce}]} matching the written profile', async () => {
    const out = join(folder, 'p-json.json');
    const result = await runCli(
      'calibrate',
      validation,
      '--out',
      out,
      '--json',
      '--bins',
      '10',
      '--binning',
      'mass',
    );
    const json = JSON.parse(result.stdout);
    expect(json.exits).toHaveLength(4);
    expect(Object.keys(json.exits[0])).toEqual(['index', 'accuracy', 'ece', 'mce']);
    const written = JSON.parse(readFileSync(out, 'utf8'));
    expect(written.format).toBe('pcee-profile');
    expect(written.binning).toEqual({ method: 'mass', bins: 10 });
    expect(written.exits[2].accuracy).toBe(json.exits[2].accuracy);
  });

  it('--costs sets cumulative exit costs', async () => {
    const out = join(folder, 'p-costs.json');
    expect((await runCli('calibrate', validation, '--out', out, '--costs', '1,2.5,4,6')).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).costs).toEqual({
      unit: 'custom',
      exits: [1, 2.5, 4, 6],
      fullModel: 6,
    });
  });
});

describe('pcee evaluate', () => {
  it('--json prints fullModel and rows with the contract keys; oracle has delta null', async () => {
    const result = await runCli('evaluate', profile, test, '--delta', '0.5:0.7:0.1', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(Object.keys(json.fullModel)).toEqual(['accuracy', 'cost']);
    expect(json.rows).toHaveLength(3 * 3 + 1);
    expect(Object.keys(json.rows[0])).toEqual([
      'policy',
      'delta',
      'accuracy',
      'meanCost',
      'relativeCost',
      'exitCounts',
    ]);
    expect(json.rows.map((row: { delta: number | null }) => row.delta).slice(0, 3)).toEqual([0.5, 0.6, 0.7]);
    expect(json.rows.at(-1)).toMatchObject({ policy: 'oracle', delta: null });
    for (const row of json.rows) expect(row.exitCounts.reduce((a: number, b: number) => a + b)).toBe(400);
  });

  it('fullModel.accuracy is the final exit accuracy on the traces', async () => {
    const traces = syntheticTraces(400, 4, 5, 2);
    let right = 0;
    for (let n = 0; n < 400; n++) {
      const row = Array.from(traces.logits.subarray((n * 4 + 3) * 5, (n * 4 + 4) * 5));
      if (row.indexOf(Math.max(...row)) === traces.labels[n]) right++;
    }
    const json = JSON.parse((await runCli('evaluate', profile, test, '--policy', 'pcee', '--json')).stdout);
    expect(json.fullModel.accuracy).toBe(right / 400);
  });

  it('--csv prints a header and one line per row', async () => {
    const result = await runCli(
      'evaluate',
      profile,
      test,
      '--policy',
      'pcee,confidence',
      '--delta',
      '0.9',
      '--csv',
    );
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('policy,delta,accuracy,meanCost,relativeCost,exitCounts');
    expect(lines).toHaveLength(3);
  });
});

describe('user mistakes: one line, exit 1 (2 for usage), no stack, nothing half-written', () => {
  const junk = join(folder, 'junk.npz');
  writeFileSync(junk, 'this is not a zip file at all');
  const empty = join(folder, 'empty.npz');
  writeFileSync(empty, '');
  const nan = syntheticTraces(20, 4, 5, 3);
  (nan.logits as Float32Array)[(7 * 4 + 2) * 5 + 1] = Number.NaN;
  const nanPath = writeTracesFile(folder, 'nan.npz', nan);
  const badLabels = syntheticTraces(20, 4, 5, 3);
  badLabels.labels[3] = 9;
  const badLabelsPath = writeTracesFile(folder, 'labels.npz', badLabels);
  const wrongNames = writeTensorsFile(folder, 'names.npz', {
    scores: { dtype: 'float32', shape: [2, 2], data: new Float32Array(4) },
  });
  const wrongRank = writeTensorsFile(folder, 'rank.npz', {
    logits: { dtype: 'float32', shape: [2, 10], data: new Float32Array(20) },
    labels: { dtype: 'int64', shape: [2], data: new BigInt64Array(2) },
  });
  const otherExits = writeTracesFile(folder, 'six.npz', syntheticTraces(50, 6, 5, 4));
  const futureProfile = join(folder, 'future.json');
  const truncatedProfile = join(folder, 'truncated.json');

  beforeAll(() => {
    const text = readFileSync(profile, 'utf8');
    writeFileSync(futureProfile, JSON.stringify({ ...JSON.parse(text), version: 9 }));
    writeFileSync(truncatedProfile, text.slice(0, 200));
  });

  it.each([
    [
      'a missing traces file',
      ['calibrate', join(folder, 'missing.npz'), '--out', 'x.json'],
      /traces file not found: .*missing\.npz/,
    ],
    ['a junk file', ['calibrate', junk, '--out', join(folder, 'o.json')], /junk\.npz.*(npz|safetensors)/],
    ['an empty file', ['calibrate', empty, '--out', join(folder, 'o.json')], /empty\.npz/],
    ['wrong tensor names', ['calibrate', wrongNames, '--out', join(folder, 'o.json')], /logits.*scores/],
    ['wrong rank', ['calibrate', wrongRank, '--out', join(folder, 'o.json')], /\[2, 10\]/],
    ['NaN logits', ['calibrate', nanPath, '--out', join(folder, 'o.json')], /sample 7 at exit 2.*NaN/],
    [
      'labels out of range',
      ['calibrate', badLabelsPath, '--out', join(folder, 'o.json')],
      /label of sample 3 is 9/,
    ],
    [
      'bad --costs',
      ['calibrate', validation, '--out', join(folder, 'o.json'), '--costs', '1,2,x,4'],
      /"x" is not a number/,
    ],
    [
      'too few --costs',
      ['calibrate', validation, '--out', join(folder, 'o.json'), '--costs', '1,2'],
      /2 exit costs for 4 exits/,
    ],
    ['δ out of range', ['evaluate', profile, test, '--delta', '1.2'], /\[0, 1\], got 1\.2/],
    ['δ not a number', ['evaluate', profile, test, '--delta', 'high'], /"high" is not a number/],
    ['an unknown policy', ['evaluate', profile, test, '--policy', 'greedy'], /unknown policy "greedy"/],
    ['a profile of another version', ['evaluate', futureProfile, test], /version 9.*recalibrate/],
    ['a truncated profile', ['evaluate', truncatedProfile, test], /not valid JSON/],
    ['a profile for other traces', ['evaluate', profile, otherExits], /4 exits but traces "six\.npz" has 6/],
    ['traces as profile', ['evaluate', validation, test], /val\.npz is a binary file.*profile comes first/],
  ])('%s', async (_name, argv, message) => {
    const result = await runCli(...argv);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: /);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it.each([
    ['a missing argument', ['evaluate', profile]],
    ['an unknown option', ['calibrate', validation, '--out', 'x.json', '--bogus']],
    ['a bad choice', ['calibrate', validation, '--out', 'x.json', '--binning', 'log']],
    ['a bad --bins', ['calibrate', validation, '--out', 'x.json', '--bins', '0']],
    ['an unknown command', ['calibrat']],
  ])('%s is a usage error (exit 2)', async (_name, argv) => {
    const result = await runCli(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error/);
  });

  it('an unwritable --out fails clearly and leaves no temporary file', async () => {
    const locked = temporaryFolder();
    chmodSync(locked, 0o500);
    const result = await runCli('calibrate', validation, '--out', join(locked, 'p.json'));
    chmodSync(locked, 0o700);
    // Root ignores permissions; then the write succeeds, which is also fine.
    if (result.code !== 0) {
      expect(result.stderr).toMatch(/^error: cannot write/);
    }
    expect(readdirSync(locked).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('--out into a missing folder fails clearly', async () => {
    const result = await runCli('calibrate', validation, '--out', join(folder, 'no', 'such', 'p.json'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot write .*not found/);
  });

  it('a failed calibration leaves the previous --out intact', async () => {
    const out = join(folder, 'keep.json');
    writeFileSync(out, 'previous');
    await runCli('calibrate', nanPath, '--out', out);
    expect(readFileSync(out, 'utf8')).toBe('previous');
  });

  it('--debug adds the stack trace', async () => {
    const result = await runCli('evaluate', profile, test, '--delta', '2', '--debug');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/at .*\.(ts|js)/);
  });

  it('no stray files are left in the working folder', () => {
    expect(existsSync('x.json')).toBe(false);
  });
});
