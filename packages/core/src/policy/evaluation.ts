import type { ExitScores, PolicyName } from '../calibration/index.js';
import type { ExitCosts } from '../cost/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { CompiledPolicy } from './policy.js';

/** How a policy does on a labelled set. */
export interface PolicyEvaluation {
  readonly policy: PolicyName;
  /** The threshold; null for the oracle. */
  readonly delta: number | null;
  /** Fraction of samples whose exit predicted the label, in [0, 1]. */
  readonly accuracy: number;
  /** Mean cumulative cost of the exits taken, in the costs' unit. */
  readonly meanCost: number;
  /** meanCost / full-model cost (below 1 means cheaper than the model without exits). */
  readonly relativeCost: number;
  /** Samples per exit. */
  readonly exitCounts: number[];
  /** Accuracy of the samples that exited at each exit; null where none did. */
  readonly exitAccuracy: (number | null)[];
  /**
   * With abstention only: samples answered "abstain" (they reached the last exit in a bin
   * below δ; they count in `exitCounts` and cost, and as not correct in `accuracy`).
   */
  readonly abstained?: number;
  /** With abstention only: share of samples answered, in [0, 1]. */
  readonly coverage?: number;
  /** With abstention only: accuracy of the answered samples; null when none was answered. */
  readonly selectiveAccuracy?: number | null;
}

/** Options of evaluations that can abstain. */
export interface AbstainOptions {
  /**
   * Answer "abstain" for a sample that reaches the last exit in a bin whose (smoothed)
   * accuracy, or for the confidence baseline its confidence, is below δ.
   */
  readonly abstain?: boolean;
}

/**
 * The exit each sample takes under a compiled policy, simulated on scored traces:
 * the first exit whose table says "exit" for the sample's confidence there.
 */
export function simulateExits(scores: ExitScores, compiled: CompiledPolicy): Int32Array {
  const { samples, exits, confidence } = scores;
  if (compiled.tables.length !== exits) {
    throw new InvalidArgumentError(`policy has ${compiled.tables.length} exits but the traces have ${exits}`);
  }
  const chosen = new Int32Array(samples);
  for (let n = 0; n < samples; n++) {
    let exit = 0;
    for (; exit < exits - 1; exit++) {
      const table = compiled.tables[exit]!;
      if (table.exit[table.lookup(confidence[n * exits + exit]!)] === 1) break;
    }
    chosen[n] = exit;
  }
  return chosen;
}

/** The oracle's exits: the first exit that is right, else the last. */
export function oracleExits(scores: ExitScores): Int32Array {
  const { samples, exits, correct } = scores;
  const chosen = new Int32Array(samples);
  for (let n = 0; n < samples; n++) {
    let exit = 0;
    while (exit < exits - 1 && correct[n * exits + exit] !== 1) exit++;
    chosen[n] = exit;
  }
  return chosen;
}

/**
 * Which samples abstain under a compiled policy: those whose exit is the last one and whose
 * confidence there falls in an interval where the last exit's score is below δ.
 *
 * @param chosen the exits taken (`simulateExits`).
 * @throws InvalidArgumentError when the policy has no abstention table (built by hand).
 */
export function simulateAbstentions(
  scores: ExitScores,
  compiled: CompiledPolicy,
  chosen: Int32Array,
): Uint8Array {
  const { samples, exits, confidence } = scores;
  const answers = compiled.lastExitAnswers;
  if (!answers) {
    throw new InvalidArgumentError('this policy has no abstention table; compile it with compilePolicy');
  }
  const table = compiled.tables[exits - 1]!;
  const abstained = new Uint8Array(samples);
  for (let n = 0; n < samples; n++) {
    if (chosen[n] !== exits - 1) continue;
    if (answers[table.lookup(confidence[n * exits + exits - 1]!)] !== 1) abstained[n] = 1;
  }
  return abstained;
}

/**
 * Aggregates accuracy, cost and exit statistics of given per-sample exits.
 *
 * @param abstained 1 for samples answered "abstain"; adds coverage and selective accuracy.
 */
export function evaluateExits(
  scores: ExitScores,
  chosen: Int32Array,
  costs: ExitCosts,
  policy: PolicyName,
  delta: number | null,
  abstained?: Uint8Array,
): PolicyEvaluation {
  const { samples, exits, correct } = scores;
  const exitCounts = new Array<number>(exits).fill(0);
  const exitCorrect = new Array<number>(exits).fill(0);
  let totalCost = 0;
  let abstainedCount = 0;
  for (let n = 0; n < samples; n++) {
    const exit = chosen[n]!;
    exitCounts[exit]!++;
    totalCost += costs.exits[exit]!;
    if (abstained?.[n] === 1) abstainedCount++;
    else exitCorrect[exit]! += correct[n * exits + exit]!;
  }
  return summarize(
    policy,
    delta,
    exitCounts,
    exitCorrect,
    totalCost,
    samples,
    costs,
    abstained ? abstainedCount : undefined,
  );
}

/**
 * Builds the evaluation record from per-exit counts and the total cost.
 *
 * @param exitCorrect correct answers per exit (abstentions are not answers).
 * @param abstained samples answered "abstain", when abstaining; adds coverage and selective accuracy.
 */
export function summarize(
  policy: PolicyName,
  delta: number | null,
  exitCounts: number[],
  exitCorrect: number[],
  totalCost: number,
  samples: number,
  costs: ExitCosts,
  abstained?: number,
): PolicyEvaluation {
  const correctTotal = exitCorrect.reduce((sum, value) => sum + value, 0);
  const meanCost = totalCost / samples;
  const evaluation: PolicyEvaluation = {
    policy,
    delta,
    accuracy: correctTotal / samples,
    meanCost,
    relativeCost: meanCost / costs.fullModel,
    exitCounts,
    exitAccuracy: exitCounts.map((count, exit) => (count > 0 ? exitCorrect[exit]! / count : null)),
  };
  if (abstained === undefined) return evaluation;
  const answered = samples - abstained;
  return {
    ...evaluation,
    abstained,
    coverage: answered / samples,
    selectiveAccuracy: answered > 0 ? correctTotal / answered : null,
  };
}

/** Evaluates a compiled threshold policy on scored traces, optionally abstaining. */
export function evaluatePolicy(
  scores: ExitScores,
  compiled: CompiledPolicy,
  costs: ExitCosts,
  options: AbstainOptions = {},
): PolicyEvaluation {
  const chosen = simulateExits(scores, compiled);
  const abstained = options.abstain ? simulateAbstentions(scores, compiled, chosen) : undefined;
  return evaluateExits(scores, chosen, costs, compiled.policy, compiled.delta, abstained);
}

/** Evaluates the oracle: the cheapest possible exits that keep every correct final answer reachable. */
export function evaluateOracle(scores: ExitScores, costs: ExitCosts): PolicyEvaluation {
  return evaluateExits(scores, oracleExits(scores), costs, 'oracle', null);
}

/** Accuracy and cost of the full model: the final exit on every sample, at full-model cost. */
export function evaluateFullModel(scores: ExitScores, costs: ExitCosts): { accuracy: number; cost: number } {
  const { samples, exits, correct } = scores;
  let right = 0;
  for (let n = 0; n < samples; n++) right += correct[n * exits + exits - 1]!;
  return { accuracy: right / samples, cost: costs.fullModel };
}
