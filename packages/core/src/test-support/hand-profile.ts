import type { CalibrationProfile, ReliabilityDiagram } from '../calibration/index.js';
import { depthCosts } from '../cost/index.js';

/** A profile written by hand from per-exit `[count, correct]` bins over equal-width edges. */
export function handProfile(exitBins: [number, number][][]): CalibrationProfile {
  const diagrams: ReliabilityDiagram[] = exitBins.map((bins) => {
    const edges = Float64Array.from(bins, (_, k) => k / bins.length);
    return {
      edges,
      count: Float64Array.from(bins, ([count]) => count),
      correct: Float64Array.from(bins, ([, correct]) => correct),
      sumConfidence: Float64Array.from(bins, ([count], k) => (count * (k + 0.5)) / bins.length),
    };
  });
  const bins = exitBins[0]!.length;
  return {
    format: 'pcee-profile',
    version: 1,
    model: { id: null, exits: exitBins.length, classes: 2, fingerprint: null },
    confidence: 'max-softmax',
    binning: { method: 'width', bins },
    costs: depthCosts(exitBins.length),
    samples: exitBins[0]!.reduce((sum, [count]) => sum + count, 0),
    diagrams,
  };
}
