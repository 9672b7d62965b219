import { createTraces, type Traces } from '../traces/index.js';

/**
 * Deterministic synthetic traces whose later exits are more often right: enough structure for
 * every policy to behave, no files needed. For tests of code built on PCEE (the CLI's and the
 * report's use it); the same arguments always give the same traces, on every platform.
 */
export function syntheticTraces(samples: number, exits = 4, classes = 5, seed = 1): Traces {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const logits = new Float32Array(samples * exits * classes);
  const labels = new Int32Array(samples);
  for (let n = 0; n < samples; n++) {
    labels[n] = Math.floor(random() * classes);
    const difficulty = random();
    for (let l = 0; l < exits; l++) {
      for (let c = 0; c < classes; c++) {
        const signal = c === labels[n] ? (3 * (l + 1)) / exits - 2 * difficulty + 0.5 : 0;
        logits[(n * exits + l) * classes + c] = signal + 2 * (random() - 0.5);
      }
    }
  }
  return createTraces(logits, labels, { samples, exits, classes });
}
