import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTraces, readTraces, type Traces } from '@pcee/core';
import { modelDir } from '@pcee/models';
import { describe, expect, it } from 'vitest';
import { bundledProfile } from '../test-support/bundled-models.js';
import { recalibrateOnWindow } from './recalibrate-on-window.js';

const ID = 'fmnist-cnn-small';
const served = bundledProfile(ID);
const validation = readTraces(new Uint8Array(readFileSync(join(modelDir(ID), 'val.npz'))), 'val.npz');

/** The first `samples` validation traces, optionally with other labels. */
function window(samples: number, labels?: (index: number) => number): Traces {
  const row = validation.exits * validation.classes;
  return createTraces(
    validation.logits.slice(0, samples * row),
    Int32Array.from({ length: samples }, (_, index) => labels?.(index) ?? validation.labels[index]!),
    { samples, exits: validation.exits, classes: validation.classes },
  );
}

const options = { policy: 'pcee' as const, targetAccuracy: 0.85, risk: 0.05, abstain: false, seed: 1 };

describe('recalibrateOnWindow', () => {
  it('certifies a δ on a fresh split, keeping the served profile’s binning, measure, costs and identity', () => {
    const outcome = recalibrateOnWindow(window(2000), served, options);
    if (!outcome.certified) throw new Error(`not certified: ${JSON.stringify(outcome)}`);
    const { profile } = outcome;
    expect([outcome.calibrationSamples, outcome.holdoutSamples]).toEqual([1000, 1000]);
    expect(profile.samples).toBe(1000);
    expect(profile.model).toEqual(served.model);
    expect(profile.binning).toEqual(served.binning);
    expect(profile.costs).toEqual(served.costs);
    expect(profile.tuned).toMatchObject({
      policy: 'pcee',
      abstain: false,
      guarantee: { targetAccuracy: 0.85, risk: 0.05 },
      holdout: { samples: 1000 },
    });
    expect(profile.tuned!.holdout.accuracy).toBeGreaterThanOrEqual(0.85);
    // Reproducible from its seed; another seed draws another split.
    expect(recalibrateOnWindow(window(2000), served, options)).toEqual(outcome);
    const other = recalibrateOnWindow(window(2000), served, { ...options, seed: 2 });
    expect(other.certified && other.profile.diagrams[0]!.count).not.toEqual(profile.diagrams[0]!.count);
  });

  it('with abstention, certifies the selective accuracy where plain accuracy cannot reach the target', () => {
    const strict = { ...options, targetAccuracy: 0.97 };
    expect(recalibrateOnWindow(window(2000), served, strict).certified).toBe(false);
    const outcome = recalibrateOnWindow(window(2000), served, { ...strict, abstain: true });
    if (!outcome.certified) throw new Error('not certified with abstention');
    expect(outcome.profile.tuned).toMatchObject({ abstain: true });
    expect(outcome.profile.tuned!.holdout.selectiveAccuracy).toBeGreaterThanOrEqual(0.97);
    expect(outcome.profile.tuned!.holdout.coverage).toBeLessThan(1);
  });

  it('reports the final exit’s accuracy when nothing can be certified (labels unrelated to the inputs)', () => {
    const outcome = recalibrateOnWindow(
      window(2000, (index) => (index * 7) % 10),
      served,
      options,
    );
    expect(outcome.certified).toBe(false);
    if (outcome.certified) return;
    expect(outcome.finalExitAccuracy).toBeLessThan(0.2);
    expect(outcome.bestAccuracy).toBeLessThan(0.5);
  });
});
