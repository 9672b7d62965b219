import fc from 'fast-check';
import { seededRandom } from '../math/index.js';
import { createTraces, type Traces } from '../traces/index.js';

/** Traces from nested arrays `logits[n][l][c]` and labels, for readable golden tests. */
export function tracesFrom(logits: number[][][], labels: number[]): Traces {
  const samples = logits.length;
  const exits = logits[0]!.length;
  const classes = logits[0]![0]!.length;
  return createTraces(Float64Array.from(logits.flat(2)), Int32Array.from(labels), {
    samples,
    exits,
    classes,
  });
}

/**
 * Deterministic pseudo-random traces whose later exits are more often right, like a real
 * early-exit network (mulberry32 generator, so a seed always yields the same traces).
 */
export function syntheticTraces(samples: number, exits: number, classes: number, seed = 1): Traces {
  const random = seededRandom(seed);
  const logits = new Float32Array(samples * exits * classes);
  const labels = new Int32Array(samples);
  for (let n = 0; n < samples; n++) {
    const label = Math.floor(random() * classes);
    labels[n] = label;
    const difficulty = random();
    for (let l = 0; l < exits; l++) {
      const signal = (2.5 * (l + 1)) / exits - 2 * difficulty + 0.5;
      for (let c = 0; c < classes; c++) {
        logits[(n * exits + l) * classes + c] = (c === label ? signal : 0) + 1.5 * (random() - 0.5) * 2;
      }
    }
  }
  return createTraces(logits, labels, { samples, exits, classes });
}

/** fast-check arbitrary of small synthetic traces (sizes and seed vary). */
export const arbitraryTraces = fc
  .record({
    samples: fc.integer({ min: 1, max: 60 }),
    exits: fc.integer({ min: 1, max: 5 }),
    classes: fc.integer({ min: 2, max: 6 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .map(({ samples, exits, classes, seed }) => syntheticTraces(samples, exits, classes, seed));
