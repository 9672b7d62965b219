import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ExitCosts } from '../cost/index.js';
import { readTraces } from '../io/index.js';
import { createTraces, type Traces } from '../traces/index.js';
import { resampleGuarantee } from './resampling-study.js';

/**
 * The guarantee, checked on the bundled models: each model's validation and test traces
 * pooled (20,000 samples), 200 random splits into calibrate (25%) / holdout (25%) / test
 * (50%), and several targets across each model's range. The share of splits whose
 * certified δ falls below the target must stay within α plus binomial noise — on the test
 * split, and on holdout ∪ test (the population the holdout was drawn from).
 *
 * The models are read from packages/models, or from `PCEE_MODELS_DIR` as @pcee/models does
 * (core cannot depend on it).
 */
const models = process.env.PCEE_MODELS_DIR
  ? pathToFileURL(`${process.env.PCEE_MODELS_DIR}/`)
  : new URL('../../../models/', import.meta.url);

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

/** Final-exit accuracy on `traces`, in [0, 1]. */
function finalAccuracy(traces: Traces): number {
  const { exits, classes } = traces;
  let correct = 0;
  for (let n = 0; n < traces.samples; n++) {
    const offset = (n * exits + exits - 1) * classes;
    let best = 0;
    for (let c = 1; c < classes; c++)
      if (traces.logits[offset + c]! > traces.logits[offset + best]!) best = c;
    if (best === traces.labels[n]) correct++;
  }
  return correct / traces.samples;
}

const SPLITS = 200;
/**
 * Targets as offsets from each model's final-exit accuracy on the pooled traces (well below
 * it, near it, and — with abstention — above it), so the cases span each model's range
 * whatever accuracy its training reached.
 */
const CASES: { id: string; offsets: number[]; risk: number; abstain: boolean }[] = [
  { id: 'fmnist-cnn-small', offsets: [-0.09, -0.04, -0.012, -0.003], risk: 0.05, abstain: false },
  { id: 'fmnist-cnn-small', offsets: [-0.04, -0.012], risk: 0.1, abstain: false },
  { id: 'fmnist-cnn-large', offsets: [-0.1, -0.05, -0.016, -0.006], risk: 0.05, abstain: false },
  { id: 'fmnist-cnn-large', offsets: [0.014, 0.034, 0.054], risk: 0.05, abstain: true },
  { id: 'fmnist-vit-small', offsets: [-0.012, -0.002, 0.003], risk: 0.05, abstain: false },
  { id: 'fmnist-vit-large', offsets: [-0.012, -0.007, -0.002], risk: 0.05, abstain: false },
];

describe('Learn-then-Test guarantee on the bundled models (resampling)', () => {
  it.each(CASES)(
    '$id, α=$risk, abstain=$abstain, targets final accuracy $offsets',
    ({ id, offsets, risk, abstain }) => {
      const { traces, costs } = pooledTraces(id);
      const accuracy = finalAccuracy(traces);
      const targets = offsets.map((offset) => Math.round((accuracy + offset) * 1000) / 1000);
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
    },
  );
});
