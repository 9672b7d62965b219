import { describe, expect, it } from 'vitest';
import { calibrate, scoreExits } from '../calibration/index.js';
import { syntheticTraces } from '../test-support/random-traces.js';
import { sweepDeltas } from './delta-sweep.js';
import { evaluateFullModel } from './evaluation.js';
import {
  candidateDeltas,
  cheapestDeltaForAccuracy,
  mostAccurateDeltaWithinBudget,
  paretoFront,
} from './threshold-search.js';

const traces = syntheticTraces(2000, 5, 10, 3);
const scores = scoreExits(traces);
const profile = calibrate(traces);
const full = evaluateFullModel(scores, profile.costs);

describe('threshold search', () => {
  it('finds the cheapest δ reaching a target accuracy, exhaustively over breakpoints', () => {
    const target = full.accuracy - 0.02;
    const found = cheapestDeltaForAccuracy(scores, profile, 'pcee', target)!;
    expect(found.accuracy).toBeGreaterThanOrEqual(target);
    // No δ on a fine grid does better.
    const grid = sweepDeltas(
      scores,
      profile,
      'pcee',
      Array.from({ length: 1001 }, (_, i) => i / 1000),
    );
    for (const row of grid)
      if (row.accuracy >= target) expect(row.meanCost).toBeGreaterThanOrEqual(found.meanCost);
  });

  it('returns null when no δ reaches the target', () => {
    expect(cheapestDeltaForAccuracy(scores, profile, 'pcee', 1)).toBeNull();
  });

  it('finds the most accurate δ within a cost budget', () => {
    const found = mostAccurateDeltaWithinBudget(scores, profile, 'pcee-ws', 0.6)!;
    expect(found.relativeCost).toBeLessThanOrEqual(0.6);
    const rows = sweepDeltas(scores, profile, 'pcee-ws', candidateDeltas(profile, 'pcee-ws'));
    for (const row of rows)
      if (row.relativeCost <= 0.6) expect(row.accuracy).toBeLessThanOrEqual(found.accuracy);
  });

  it('the Pareto front increases in both cost and accuracy and dominates every row', () => {
    const rows = sweepDeltas(scores, profile, 'confidence', candidateDeltas(profile, 'confidence'));
    const front = paretoFront(rows);
    for (let i = 1; i < front.length; i++) {
      expect(front[i]!.meanCost).toBeGreaterThan(front[i - 1]!.meanCost);
      expect(front[i]!.accuracy).toBeGreaterThan(front[i - 1]!.accuracy);
    }
    for (const row of rows) {
      expect(front.some((point) => point.meanCost <= row.meanCost && point.accuracy >= row.accuracy)).toBe(
        true,
      );
    }
  });

  it('candidate δ for pcee are the distinct bin accuracies of non-final exits', () => {
    const candidates = candidateDeltas(profile, 'pcee');
    expect(candidates[0]).toBe(0);
    expect(candidates.at(-1)).toBe(1);
    expect(candidates.length).toBeLessThanOrEqual(4 * 15 + 2);
  });
});
