import type { ExitCosts } from '../cost/index.js';
import { upperBound } from '../math/index.js';

/** The holdout data a per-exit search works on. */
export interface ExitSearchData {
  readonly samples: number;
  readonly exits: number;
  /** `[N, L]` score each (sample, exit) compares with its exit's threshold (`rowExitScores`). */
  readonly rowScore: Float64Array;
  /** `[N, L]` 1 where the exit's prediction is right. */
  readonly correct: Uint8Array;
  readonly costs: ExitCosts;
}

/** Totals of one threshold vector on the holdout. */
interface Totals {
  correct: number;
  cost: number;
}

/** Options of `searchExitThresholds`. */
export interface ExitSearchOptions {
  /** Per non-final exit, the thresholds to try, ascending. */
  readonly candidates: readonly (readonly number[])[];
  /** Mean cost allowed, in the costs' unit. */
  readonly maxMeanCost: number;
  /** A feasible starting vector (one threshold per non-final exit), e.g. a single δ repeated. */
  readonly start: readonly number[];
  /** More starting vectors, feasible or not (e.g. every single δ repeated). */
  readonly seeds?: readonly (readonly number[])[];
}

/**
 * The most accurate vector of per-exit thresholds (one per non-final exit) whose mean cost
 * on the holdout stays within budget, by coordinate search: changing one exit's threshold
 * with the others fixed is evaluated for all of its candidates at once in O(N·L + N·log D)
 * (a sample's outcome is "exit here" above its score and a fixed later exit below).
 *
 * A plain constrained coordinate search stalls at the budget, because trading cost between
 * exits takes two moves; so the search first runs coordinate ascent on the Lagrangian
 * accuracy − λ·relative cost over a grid of λ, keeping the most accurate feasible vector
 * met anywhere (every candidate of every coordinate step is an exact evaluation), then
 * refines it under the budget by moves of one coordinate and of pairs of coordinates.
 * Deterministic; every reported number is an exact holdout evaluation.
 *
 * @returns thresholds for exits 0 … L−2, never worse on the holdout than `start`.
 */
export function searchExitThresholds(data: ExitSearchData, options: ExitSearchOptions): number[] {
  const { samples, costs } = data;
  const budget = options.maxMeanCost * samples * (1 + 1e-12);
  let best = { thresholds: [...options.start], ...evaluateThresholds(data, options.start) };
  const consider = (thresholds: readonly number[], totals: Totals) => {
    if (totals.cost > budget) return;
    if (totals.correct > best.correct || (totals.correct === best.correct && totals.cost < best.cost)) {
      best = { thresholds: [...thresholds], ...totals };
    }
  };
  /** Considers every candidate of one coordinate of `from`. */
  const refineCoordinate = (from: readonly number[], exit: number) => {
    coordinateTotals(data, from, exit, options.candidates[exit]!).forEach((totals, index) => {
      const trial = from.slice();
      trial[exit] = options.candidates[exit]![index]!;
      consider(trial, totals);
    });
  };
  const ascend = (lambda: number, from: readonly number[]): Totals => {
    const thresholds = [...from];
    const weight = lambda / costs.fullModel;
    let current = evaluateThresholds(data, thresholds);
    for (let round = 0; round < 20; round++) {
      let changed = false;
      for (let exit = 0; exit < thresholds.length; exit++) {
        const options_ = coordinateTotals(data, thresholds, exit, options.candidates[exit]!);
        let pick = -1;
        let pickValue = current.correct - weight * current.cost;
        options_.forEach((totals, index) => {
          const trial = thresholds.slice();
          trial[exit] = options.candidates[exit]![index]!;
          consider(trial, totals);
          const value = totals.correct - weight * totals.cost;
          if (value > pickValue + 1e-9) {
            pick = index;
            pickValue = value;
          }
        });
        if (pick >= 0) {
          thresholds[exit] = options.candidates[exit]![pick]!;
          current = options_[pick]!;
          changed = true;
        }
      }
      if (!changed) break;
    }
    return current;
  };
  // λ prices relative cost in correct answers: a log grid from "cost is nearly free" to
  // "accuracy is nearly free". Each λ ascends from the best vector so far and from the seed
  // (e.g. a single δ) with the best Lagrangian, so the search does not hang on one basin.
  const seeds = (options.seeds ?? []).map((thresholds) => ({
    thresholds,
    ...evaluateThresholds(data, thresholds),
  }));
  const steps = 48;
  for (let step = 0; step < steps; step++) {
    const lambda = samples * 10 ** (-3 + (6 * step) / (steps - 1));
    const weight = lambda / costs.fullModel;
    ascend(lambda, best.thresholds);
    if (seeds.length > 0) {
      const seed = seeds.reduce((winner, candidate) =>
        candidate.correct - weight * candidate.cost > winner.correct - weight * winner.cost
          ? candidate
          : winner,
      );
      ascend(lambda, seed.thresholds);
    }
  }
  // Refine under the budget, moving one exit's threshold, then two at once (a move that
  // frees cost at one exit and spends it at another), until nothing improves.
  for (let round = 0; round < 20; round++) {
    const before = { ...best };
    const coordinates = best.thresholds.length;
    for (let first = 0; first < coordinates; first++) {
      const from = best.thresholds;
      refineCoordinate(from, first);
      for (const value of thin(options.candidates[first]!, PAIR_CANDIDATES)) {
        const moved = from.slice();
        moved[first] = value;
        for (let second = 0; second < coordinates; second++) {
          if (second !== first) refineCoordinate(moved, second);
        }
      }
    }
    if (best.correct === before.correct && best.cost === before.cost) break;
  }
  return best.thresholds;
}

/** Most first-coordinate values tried per pair move (the confidence grid has 1001). */
const PAIR_CANDIDATES = 64;

/** At most `most` values spread evenly over `values`, ends included. */
function thin(values: readonly number[], most: number): readonly number[] {
  if (values.length <= most) return values;
  return Array.from(
    { length: most },
    (_, index) => values[Math.round((index * (values.length - 1)) / (most - 1))]!,
  );
}

/** Correct answers and total cost of a threshold vector (exits 0 … L−2) on the holdout. */
export function evaluateThresholds(data: ExitSearchData, thresholds: readonly number[]): Totals {
  const { samples, exits, rowScore, correct, costs } = data;
  let right = 0;
  let cost = 0;
  for (let n = 0; n < samples; n++) {
    const exit = firstExit(rowScore, n, exits, thresholds, 0);
    right += correct[n * exits + exit]!;
    cost += costs.exits[exit]!;
  }
  return { correct: right, cost };
}

function firstExit(
  rowScore: Float64Array,
  sample: number,
  exits: number,
  thresholds: readonly number[],
  from: number,
): number {
  for (let exit = from; exit < exits - 1; exit++) {
    if (rowScore[sample * exits + exit]! >= thresholds[exit]!) return exit;
  }
  return exits - 1;
}

/** Totals for every candidate threshold of exit `target`, the other thresholds fixed. */
function coordinateTotals(
  data: ExitSearchData,
  thresholds: readonly number[],
  target: number,
  candidates: readonly number[],
): Totals[] {
  const { samples, exits, rowScore, correct, costs } = data;
  const count = candidates.length;
  // Candidates with index < p exit a sample at `target` when p = #candidates ≤ its score.
  const correctGain = new Float64Array(count + 1);
  const costGain = new Float64Array(count + 1);
  let baseCorrect = 0;
  let baseCost = 0;
  for (let n = 0; n < samples; n++) {
    let exit = 0;
    while (exit < target && rowScore[n * exits + exit]! < thresholds[exit]!) exit++;
    if (exit < target) {
      baseCorrect += correct[n * exits + exit]!;
      baseCost += costs.exits[exit]!;
      continue;
    }
    const later = firstExit(rowScore, n, exits, thresholds, target + 1);
    baseCorrect += correct[n * exits + later]!;
    baseCost += costs.exits[later]!;
    const reach = upperBound(candidates, rowScore[n * exits + target]!);
    correctGain[reach]! += correct[n * exits + target]! - correct[n * exits + later]!;
    costGain[reach]! += costs.exits[target]! - costs.exits[later]!;
  }
  // Candidate d exits the samples whose reach > d: suffix sums.
  const totals = new Array<Totals>(count);
  let correctSuffix = 0;
  let costSuffix = 0;
  for (let index = count - 1; index >= 0; index--) {
    correctSuffix += correctGain[index + 1]!;
    costSuffix += costGain[index + 1]!;
    totals[index] = { correct: baseCorrect + correctSuffix, cost: baseCost + costSuffix };
  }
  return totals;
}
