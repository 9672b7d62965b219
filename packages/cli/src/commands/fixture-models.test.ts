import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { compilePolicy, parseProfile, readTraces, scoreExits, simulateExits } from '@pcee/core';
import { FIXTURE_PACKAGES, FIXTURE_PACKAGES_FOLDER } from '@pcee/onnx/testing';
import { describe, expect, it } from 'vitest';
import { runCli, temporaryFolder } from '../../test-support/run-cli.js';

// The issue-13 promise, end to end through the CLI on models nobody tuned for PCEE (a skip
// connection, two scales, int64 text inputs): split once, trace every exit within 1e-4 of the
// unsplit model, and run exits exactly the samples evaluate simulates.
const onnxPackage = dirname(createRequire(import.meta.url).resolve('@pcee/onnx/package.json'));
const fixtures = join(onnxPackage, FIXTURE_PACKAGES_FOLDER);
const folder = temporaryFolder();

describe.each(FIXTURE_PACKAGES)('fixture %s through the CLI', (name) => {
  const packageDir = join(fixtures, name);
  const reference = join(packageDir, 'reference.npz');

  it('the committed package is what pcee split writes today (model.json and every stage file)', async () => {
    const out = join(folder, `${name}-split`);
    const split = await runCli(
      'split',
      join(onnxPackage, 'fixtures', `${name}.onnx`),
      '--out',
      out,
      '--inputs',
      reference,
    );
    expect(split.code, split.stderr).toBe(0);
    expect(readFileSync(join(out, 'model.json'), 'utf8')).toBe(
      readFileSync(join(packageDir, 'model.json'), 'utf8'),
    );
  });

  it('pcee trace reproduces the unsplit model within 1e-4, and pcee run exits as evaluate simulates', async () => {
    const traces = join(folder, `${name}-traces.npz`);
    expect((await runCli('trace', packageDir, reference, '--out', traces, '--batch', '7')).code).toBe(0);
    const traced = readTraces(new Uint8Array(readFileSync(traces)));
    const expected = readTraces(new Uint8Array(readFileSync(reference)));
    let worst = 0;
    traced.logits.forEach((value, index) => {
      worst = Math.max(worst, Math.abs(value - expected.logits[index]!));
    });
    expect(worst).toBeLessThanOrEqual(1e-4);

    const profilePath = join(folder, `${name}-profile.json`);
    expect((await runCli('calibrate', traces, '--model', packageDir, '--out', profilePath)).code).toBe(0);
    const profile = parseProfile(readFileSync(profilePath, 'utf8'));
    for (const delta of [0.6, 0.9]) {
      const run = await runCli(
        'run',
        packageDir,
        reference,
        '--profile',
        profilePath,
        '--delta',
        String(delta),
        '--json',
        '--batch',
        '5',
      );
      expect(run.code, run.stderr).toBe(0);
      const exits = JSON.parse(run.stdout).predictions.map((entry: { exit: number }) => entry.exit);
      const simulated = simulateExits(
        scoreExits(traced, profile.confidence),
        compilePolicy(profile, 'pcee', delta),
      );
      expect(exits).toEqual([...simulated]);
    }
  });
});
