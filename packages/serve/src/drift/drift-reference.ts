import {
  binLookup,
  type CalibrationProfile,
  type CompiledPolicy,
  scoreExits,
  simulateExits,
  type Traces,
} from '@pcee/core';

/**
 * What the served distribution is compared with: histograms over the profile's confidence
 * bins (each exit's own edges).
 */
export interface DriftReference {
  /** `edges[l]`: the profile's bin edges at exit l. */
  readonly edges: readonly Float64Array[];
  /** The exit every sample is scored at (the first stage's: 0, or L−1 for the full-model baseline). */
  readonly firstExit: number;
  /** Calibration samples per confidence bin at `firstExit` (the profile's diagram: every sample reaches it). */
  readonly firstCounts: Float64Array;
  /**
   * From held-out traces run through the default policy, when given: samples per exit, and
   * per exit the confidence histogram of the samples that exit there. Without traces only
   * `firstCounts` can be compared: the profile keeps each exit's histogram over all samples,
   * not over those that reach it.
   */
  readonly exits?: {
    readonly share: Float64Array;
    readonly confidence: readonly Float64Array[];
  };
}

/**
 * The reference for a model served with `policy`.
 *
 * @param firstExit exit of the first stage the server runs (L−1 for the baseline).
 * @param traces held-out traces of the same model (validation), or undefined.
 */
export function driftReference(
  profile: CalibrationProfile,
  policy: CompiledPolicy,
  firstExit: number,
  traces?: Traces,
): DriftReference {
  const edges = profile.diagrams.map((diagram) => diagram.edges);
  const firstCounts = Float64Array.from(profile.diagrams[firstExit]!.count);
  if (!traces) return { edges, firstExit, firstCounts };
  const exits = profile.diagrams.length;
  const scores = scoreExits(traces, profile.confidence);
  const baseline = firstExit === exits - 1 && exits > 1;
  const chosen = baseline ? new Int32Array(scores.samples).fill(exits - 1) : simulateExits(scores, policy);
  const share = new Float64Array(exits);
  const confidence = edges.map((exitEdges) => new Float64Array(exitEdges.length));
  const lookups = edges.map((exitEdges) => binLookup(exitEdges));
  for (let n = 0; n < scores.samples; n++) {
    const exit = chosen[n]!;
    share[exit]++;
    confidence[exit]![lookups[exit]!(scores.confidence[n * exits + exit]!)]++;
  }
  return { edges, firstExit, firstCounts, exits: { share, confidence } };
}
