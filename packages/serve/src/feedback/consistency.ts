import { type ConfidenceMeasure, rowArgmax, rowConfidence } from '@pcee/core';
import type { LiveReliability } from './live-reliability.js';

/**
 * Adds the audit signal of traced samples to a live diagram: for every exit before the
 * final one, the sample's confidence there and whether that exit's prediction agrees with
 * the final exit's. Needs no label: where labels never come, the consistency diagram shows
 * how often an early answer would have differed from the full model's.
 *
 * @param trace logits `[samples, exits, classes]`.
 * @param traced 1 for the samples whose rows hold logits.
 */
export function addConsistency(
  diagrams: LiveReliability,
  trace: Float32Array,
  traced: Uint8Array,
  exits: number,
  classes: number,
  measure: ConfidenceMeasure,
): void {
  for (let sample = 0; sample < traced.length; sample++) {
    if (traced[sample] !== 1) continue;
    const base = sample * exits * classes;
    const final = rowArgmax(trace, base + (exits - 1) * classes, classes);
    for (let exit = 0; exit < exits - 1; exit++) {
      const offset = base + exit * classes;
      const agrees = rowArgmax(trace, offset, classes) === final;
      diagrams.add(exit, rowConfidence(trace, offset, classes, measure), agrees);
    }
  }
}
