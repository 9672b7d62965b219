import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePolicy, readTraces, scoreExits, simulateExits } from '@pcee/core';
import { modelDir } from '@pcee/models';
import { describe, expect, it } from 'vitest';
import { bundledProfile } from '../test-support/bundled-models.js';
import { DriftMonitor, type DriftSignal } from './drift-monitor.js';
import { driftReference } from './drift-reference.js';

const id = 'fmnist-cnn-small';
const profile = bundledProfile(id);
const policy = compilePolicy(profile, 'pcee', 0.9);
const traces = (name: string) => readTraces(new Uint8Array(readFileSync(join(modelDir(id), name))), name);
const reference = driftReference(profile, policy, 0, traces('val.npz'));

/** Served samples as the server would see them: test images through the same policy (in distribution). */
const served = (() => {
  const scores = scoreExits(traces('test.npz'), profile.confidence);
  const exits = simulateExits(scores, policy);
  const L = scores.exits;
  return Array.from(exits, (exit, n) => ({
    exit,
    confidence: scores.confidence[n * L + exit]!,
    first: scores.confidence[n * L]!,
  }));
})();

describe('DriftMonitor', () => {
  it('stays quiet on held-out data from the calibration distribution', () => {
    const alerts: DriftSignal[] = [];
    const monitor = new DriftMonitor(reference, { window: 2000, onDrift: (signal) => alerts.push(signal) });
    for (const sample of served.slice(0, 4000)) monitor.observe(sample.exit, sample.confidence, sample.first);
    const snapshot = monitor.snapshot();
    expect(snapshot.samples).toBe(2000);
    expect(snapshot.firstConfidencePsi).toBeLessThan(0.1);
    expect(snapshot.exitSharePsi).toBeLessThan(0.1);
    expect(alerts).toEqual([]);
  });

  it('flags a shift to hard inputs once per signal, and again after it recovered', () => {
    const alerts: string[] = [];
    const monitor = new DriftMonitor(reference, {
      window: 1000,
      onDrift: (signal) => alerts.push(signal.kind),
    });
    // Only the samples that needed the last exit: low early confidence, everything deep.
    const hard = served.filter((sample) => sample.exit === reference.edges.length - 1);
    const easy = served.filter((sample) => sample.exit === 0);
    const feed = (samples: typeof served, count: number) => {
      for (let index = 0; index < count; index++) {
        const sample = samples[index % samples.length]!;
        monitor.observe(sample.exit, sample.confidence, sample.first);
      }
    };
    feed(hard, 3000);
    const shifted = monitor.snapshot();
    expect(shifted.exitSharePsi).toBeGreaterThan(0.25);
    expect(shifted.firstConfidencePsi).toBeGreaterThan(0.25);
    expect(alerts.filter((kind) => kind === 'exit-share')).toHaveLength(1);
    expect(alerts.filter((kind) => kind === 'first-confidence')).toHaveLength(1);
    feed(served, 2000);
    expect(monitor.snapshot().exitSharePsi).toBeLessThan(0.25);
    feed(easy, 3000);
    expect(alerts.filter((kind) => kind === 'exit-share')).toHaveLength(2);
  });

  it('counts exactly the last window of samples', () => {
    const monitor = new DriftMonitor(reference, { window: 500 });
    for (const sample of served.slice(0, 1700)) monitor.observe(sample.exit, sample.confidence, sample.first);
    const last = served.slice(1200, 1700);
    const share = Array.from(
      { length: 4 },
      (_, exit) => last.filter((sample) => sample.exit === exit).length / 500,
    );
    expect(Array.from(monitor.snapshot().exitShare)).toEqual(share);
  });

  it('has no PSI before the window holds enough samples, and only first-exit PSI without traces', () => {
    const monitor = new DriftMonitor(driftReference(profile, policy, 0), { window: 2000 });
    for (const sample of served.slice(0, 400)) monitor.observe(sample.exit, sample.confidence, sample.first);
    expect(monitor.snapshot().firstConfidencePsi).toBeNaN();
    for (const sample of served.slice(400, 1000))
      monitor.observe(sample.exit, sample.confidence, sample.first);
    const snapshot = monitor.snapshot();
    expect(snapshot.firstConfidencePsi).toBeLessThan(0.1);
    expect(snapshot.exitSharePsi).toBeNaN();
    expect(Array.from(snapshot.referenceShare).every(Number.isNaN)).toBe(true);
  });

  it('refuses an empty window', () => {
    expect(() => new DriftMonitor(reference, { window: 0 })).toThrow(/positive integer/);
  });
});
