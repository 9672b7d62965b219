import type { ExitScores } from '../calibration/index.js';
import type { ExitCosts } from '../cost/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { CompiledPolicy } from '../policy/index.js';
import { simulateAbstentions, simulateExits } from '../policy/index.js';
import { costsWithoutExits } from './fusion-costs.js';

/** Options of `chooseExitDrops`. */
export interface ExitDropOptions {
  /**
   * Per original exit, in the costs' unit, ≥ 0: what the exit costs every sample that passes
   * it while it is live (its head, plus a measured stage-boundary cost when known).
   */
  readonly overheads: readonly number[];
  /** Count abstentions as not answered (as `runEarlyExit` with `abstain` does); default false. */
  readonly abstain?: boolean;
}

/** Accuracy and mean cost of a policy on the decision traces. */
export interface DropOutcome {
  /** Share of samples answered correctly, in [0, 1]. */
  readonly accuracy: number;
  /** Mean cost per sample in the costs' unit, with the dropped exits' overheads removed. */
  readonly meanCost: number;
  /** Samples per original exit. */
  readonly exitCounts: readonly number[];
}

/** One live exit weighed for dropping, against the exits already dropped. */
export interface DropCandidate {
  /** Original exit index. */
  readonly exit: number;
  /** Share of samples that exit here, in [0, 1]. */
  readonly exitShare: number;
  /** Share of samples that reach this exit (exit here or later), in [0, 1]. */
  readonly reachShare: number;
  /** Mean cost per sample the exit's overhead adds: overhead × reachShare. */
  readonly overheadCost: number;
  /**
   * Mean cost per sample its exiting saves: the samples that leave here would, without it,
   * run on to a later exit; this is exitShare × the mean cost they would add there.
   */
  readonly expectedSaving: number;
  /** overheadCost − expectedSaving: what dropping it saves per sample (> 0 pays). */
  readonly netGain: number;
  /** Correct answers on the decision traces with it dropped, minus with the original policy. */
  readonly correctChange: number;
  /** Whether it was dropped. */
  readonly dropped: boolean;
}

/** The result of `chooseExitDrops`. */
export interface ExitDropChoice {
  /**
   * Live intermediate exits to drop on top of the dead ones, ascending: pass them to
   * `planFusion(policy, drop)`.
   */
  readonly drop: readonly number[];
  /** The fused model without further drops (only exits whose table never exits are gone). */
  readonly before: DropOutcome;
  /** With `drop` dropped too. */
  readonly after: DropOutcome;
  /** Every live intermediate exit as last weighed (dropped ones as weighed when dropped). */
  readonly candidates: readonly DropCandidate[];
}

/**
 * Which live exits cost more than they save at this policy: an exit's expected saving (the
 * share of samples that leave there × the cost after it they skip) against its overhead (its
 * head and stage boundary, paid by every sample that reaches it). Greedy: drop the exit with
 * the largest net gain, weigh the rest again, stop when no drop pays.
 *
 * What is guaranteed, on the traces given (they should be the calibration or validation
 * traces, never the test set): a drop is kept only when it lowers the mean cost and the
 * number of correct answers (answered ones, with `abstain`) is at least that of the original
 * policy, and with `abstain` no more samples abstain. On any input, samples the original
 * policy sends to an exit that stays take that exit with the same prediction (decisions at an
 * exit read only that exit's logits); samples it sends to a dropped exit continue to the next
 * live exit whose table takes them. On other data the accuracy is not guaranteed to stay: it
 * is a check on the traces, like the rest of the calibration.
 *
 * @param scores the decision traces scored with the profile's confidence measure.
 * @throws InvalidArgumentError when policy, traces, costs and overheads disagree on the exits.
 */
export function chooseExitDrops(
  scores: ExitScores,
  policy: CompiledPolicy,
  costs: ExitCosts,
  options: ExitDropOptions,
): ExitDropChoice {
  const exits = policy.tables.length;
  if (scores.exits !== exits || costs.exits.length !== exits) {
    throw new InvalidArgumentError(
      `policy has ${exits} exits, traces ${scores.exits} and costs ${costs.exits.length}; use traces and costs of the model the policy was calibrated for`,
    );
  }
  const { overheads } = options;
  const outcome = (dropped: readonly number[]) =>
    simulate(scores, policy, costs, overheads, dropped, options);
  const dead = policy.tables
    .map((table, exit) => (exit < exits - 1 && !table.exit.includes(1) ? exit : -1))
    .filter((exit) => exit >= 0);
  const original = outcome([]);
  const before = outcome(dead);
  const dropped = [...dead];
  const weighed = new Map<number, DropCandidate>();
  let current = before;
  for (;;) {
    const live = Array.from({ length: exits - 1 }, (_, exit) => exit).filter(
      (exit) => !dropped.includes(exit),
    );
    let best: { candidate: DropCandidate; result: Simulated } | undefined;
    for (const exit of live) {
      const result = outcome([...dropped, exit]);
      const candidate = weigh(exit, current, result, original, overheads[exit]!, scores.samples);
      weighed.set(exit, candidate);
      const acceptable =
        // A gain within rounding of zero is no gain: drops change exits, so they must pay.
        candidate.netGain > 1e-12 * current.meanCost &&
        candidate.correctChange >= 0 &&
        (!options.abstain || result.abstained <= original.abstained);
      if (acceptable && (!best || candidate.netGain > best.candidate.netGain)) best = { candidate, result };
    }
    if (!best) break;
    weighed.set(best.candidate.exit, { ...best.candidate, dropped: true });
    dropped.push(best.candidate.exit);
    current = best.result;
  }
  const drop = dropped.filter((exit) => !dead.includes(exit)).sort((a, b) => a - b);
  return {
    drop,
    before: publicOutcome(before),
    after: publicOutcome(current),
    candidates: [...weighed.values()].sort((a, b) => a.exit - b.exit),
  };
}

interface Simulated extends DropOutcome {
  readonly correct: number;
  readonly abstained: number;
  readonly chosen: Int32Array;
  readonly exitCosts: readonly number[];
}

function simulate(
  scores: ExitScores,
  policy: CompiledPolicy,
  costs: ExitCosts,
  overheads: readonly number[],
  dropped: readonly number[],
  options: ExitDropOptions,
): Simulated {
  const gone = new Set(dropped);
  const withoutDropped: CompiledPolicy = {
    ...policy,
    tables: policy.tables.map((table, exit) =>
      gone.has(exit) ? { ...table, exit: new Uint8Array(table.exit.length) } : table,
    ),
  };
  const chosen = simulateExits(scores, withoutDropped);
  const abstainedRows = options.abstain ? simulateAbstentions(scores, withoutDropped, chosen) : undefined;
  const exitCosts = costsWithoutExits(costs, dropped, overheads).exits;
  const exitCounts = new Array<number>(policy.tables.length).fill(0);
  let correct = 0;
  let abstained = 0;
  let total = 0;
  for (let n = 0; n < scores.samples; n++) {
    const exit = chosen[n]!;
    exitCounts[exit]!++;
    total += exitCosts[exit]!;
    if (abstainedRows?.[n] === 1) abstained++;
    else correct += scores.correct[n * scores.exits + exit]!;
  }
  return {
    accuracy: correct / scores.samples,
    meanCost: total / scores.samples,
    exitCounts,
    correct,
    abstained,
    chosen,
    exitCosts,
  };
}

/** Splits the mean-cost change of dropping `exit` into its overhead and its lost saving. */
function weigh(
  exit: number,
  current: Simulated,
  result: Simulated,
  original: Simulated,
  overhead: number,
  samples: number,
): DropCandidate {
  let reach = 0;
  let leave = 0;
  for (let n = 0; n < samples; n++) {
    const was = current.chosen[n]!;
    if (was >= exit) reach++;
    if (was === exit) leave++;
  }
  const overheadCost = (overhead * reach) / samples;
  // The mean-cost change splits into the overhead no longer paid by every sample that reaches
  // the exit, and the saving lost: what the samples that left here pay by running on.
  const netGain = current.meanCost - result.meanCost;
  return {
    exit,
    exitShare: leave / samples,
    reachShare: reach / samples,
    overheadCost,
    expectedSaving: overheadCost - netGain,
    netGain,
    correctChange: result.correct - original.correct,
    dropped: false,
  };
}

function publicOutcome(outcome: Simulated): DropOutcome {
  return { accuracy: outcome.accuracy, meanCost: outcome.meanCost, exitCounts: outcome.exitCounts };
}
