import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ExitCosts } from '../compute-cost.js';
import { readTraces } from '../io/read-traces.js';
import { createTraces, type Traces } from '../traces.js';
import { resampleGuarantee } from './resampling-study.js';

/**
 * The guarantee, checked on the bundled models: each model's validation and test traces
 * pooled (20,000 samples), 200 random splits into calibrate (25%) / holdout (25%) / test
 * (50%), and several targets across each model's range. The share of splits whose
 * certified δ falls below the target must stay within α plus binomial noise — on the test
 * split, and on holdout ∪ test (the population the holdout was drawn from).
 */
const models = new URL('../../../models/', import.meta.url);

function pooledTraces(id: string): { traces: Traces; costs: ExitCosts } {
  const read = (name: string) => readTraces(readFileSync(new URL(`${id}/${name}`, models)), name);
  const [val, test] = [read('val.npz'), read('test.npz')];
  const logits = new Float32Array(val.logits.length + test.logits.length);
  logits.set(val.logits);
  logits.set(test.logits, val.logits.length);
  const labels = new Int32Array(val.samples + test.samples);
  labels.set(val.labels);
  labels.set(test.labels, val.samples);
  const traces = createTraces(logits, labels, {
    samples: val.samples + test.samples,
    exits: val.exits,
    classes: val.classes,
  });
  const manifest = JSON.parse(readFileSync(new URL(`${id}/model.json`, models), 'utf8'));
  return { traces, costs: { unit: 'flops', exits: manifest.exitCosts, fullModel: manifest.fullModelCost } };
}

/** Violations a procedure with rate exactly α exceeds with probability ≈ 1% (one-sided normal). */
function noiseBound(splits: number, risk: number): number {
  return risk * splits + 2.33 * Math.sqrt(splits * risk * (1 - risk));
}

const SPLITS = 200;
const CASES: { id: string; targets: number[]; risk: number; abstain: boolean }[] = [
  { id: 'fmnist-cnn-small', targets: [0.8, 0.85, 0.88, 0.89], risk: 0.05, abstain: false },
  { id: 'fmnist-cnn-small', targets: [0.85, 0.88], risk: 0.1, abstain: false },
  { id: 'fmnist-cnn-large', targets: [0.82, 0.87, 0.9, 0.91], risk: 0.05, abstain: false },
  { id: 'fmnist-cnn-large', targets: [0.93, 0.95, 0.97], risk: 0.05, abstain: true },
  { id: 'fmnist-vit-small', targets: [0.9, 0.91, 0.915], risk: 0.05, abstain: false },
  { id: 'fmnist-vit-large', targets: [0.915, 0.92, 0.925], risk: 0.05, abstain: false },
];

describe('Learn-then-Test guarantee on the bundled models (resampling)', () => {
  it.each(CASES)('$id, α=$risk, abstain=$abstain, targets $targets', ({ id, targets, risk, abstain }) => {
    const { traces, costs } = pooledTraces(id);
    expect(traces.samples).toBe(20_000);
    const rows = resampleGuarantee(traces, {
      targets,
      risk,
      abstain,
      costs,
      splits: SPLITS,
      calibrationShare: 0.25,
      holdoutShare: 0.25,
      seed: 2024,
    });
    const bound = noiseBound(SPLITS, risk);
    for (const row of rows) {
      expect(row.violations, `test-split violations at target ${row.target}`).toBeLessThanOrEqual(bound);
      expect(row.populationViolations, `population violations at ${row.target}`).toBeLessThanOrEqual(bound);
    }
    // Not vacuous: the easiest target is certified in most splits …
    expect(rows[0]!.certified).toBeGreaterThan(SPLITS / 2);
    // … and the test has power: choosing δ on the holdout without the guarantee violates more.
    const naive = rows.reduce((sum, row) => sum + row.naiveViolations, 0);
    const tuned = rows.reduce((sum, row) => sum + row.violations, 0);
    expect(naive).toBeGreaterThan(2 * tuned);
  });
});
