import { InvalidArgumentError } from '../errors/index.js';
import { assertRisk, assertTargetAccuracy } from './fixed-sequence.js';

/**
 * Anytime-valid monitoring of deployed accuracy: a betting test (testing by betting) whose
 * alarm may be checked after every answered sample, for as long as the model runs, without
 * inflating the false-alarm rate.
 *
 * Null hypothesis H0: every answered sample is correct with conditional probability ≥ a,
 * given all earlier samples (a = target accuracy). Each outcome X_t ∈ {0, 1} (1 = correct)
 * moves a wealth process
 *
 *   K_0 = 1,   K_t = K_{t−1} · (1 + λ_t (a − X_t)),
 *
 * with a bet λ_t ∈ [0, c / (1 − a)], c = 1/2, chosen from X_1..X_{t−1} only (predictable).
 * Under H0, E[a − X_t | past] ≤ 0 and λ_t ≥ 0, so K is a nonnegative supermartingale and
 * Ville's inequality gives P(sup_t K_t ≥ 1/α) ≤ α: firing the first time K_t ≥ 1/α is a
 * level-α test at every sample count simultaneously, however often it is looked at. The cap
 * on λ_t keeps every factor ≥ 1 − c = 1/2, so wealth never reaches 0 and log-wealth stays
 * finite.
 *
 * The bet is the aGRAPA plug-in (Waudby-Smith & Ramdas, "Estimating means of bounded random
 * variables by betting", 2023) evaluated on a recent window rather than the whole history:
 * λ = (a − μ̂) / (σ̂² + (a − μ̂)²), clamped to [0, c / (1 − a)], with μ̂ the smoothed accuracy
 * of the last `recent` outcomes. While recent accuracy is ≥ a the bet is 0, so clean data
 * costs (almost) no wealth and a shift after a long clean run is still detected quickly;
 * once accuracy drops below a, wealth grows roughly exponentially.
 */

/** c: the largest fraction of the worst-case loss staked per sample; every factor is ≥ 1 − c. */
const BET_CAP_FRACTION = 0.5;

/** Floor on the variance estimate, so that a window of all-correct or all-wrong answers still yields a finite bet. */
const VARIANCE_FLOOR = 1e-6;

/** Default length of the recent window the bet is estimated from, in samples. */
export const DEFAULT_ACCURACY_MONITOR_RECENT = 200;

/** Settings of an {@link AccuracyMonitor}. */
export interface AccuracyMonitorOptions {
  /** a: the accuracy the deployment must keep, in (0, 1), e.g. 0.9. */
  targetAccuracy: number;
  /** α in (0, 1): the chance of ever raising a false alarm while H0 holds, over the whole stream. */
  risk: number;
  /**
   * How many of the latest outcomes the bet is estimated from, a positive integer (default 200).
   * Shorter windows react faster to a shift; longer ones bet more steadily. Keep it at least
   * (a − 1/2) / (1 − a) (4 for a = 0.9): below that even an all-correct window has a smoothed
   * mean under a, so the monitor keeps betting and losing wealth on clean data (still valid,
   * but slow to detect a later drop).
   */
  recent?: number;
}

/** A snapshot of an {@link AccuracyMonitor}. */
export interface AccuracyMonitorState {
  /** Outcomes observed since construction or the last reset. */
  samples: number;
  /** How many of them were correct. */
  correct: number;
  /** ln K_t, the natural log of the current wealth (0 at the start). */
  logWealth: number;
  /** ln(1/α): the monitor fires when logWealth reaches this value. */
  threshold: number;
  /** Whether H0 has been rejected; stays true until {@link AccuracyMonitor.reset}. */
  violated: boolean;
  /** The sample count (1-based) at which the monitor fired, or null if it has not. */
  firedAt: number | null;
  /** correct / samples, in [0, 1]; NaN before the first sample. */
  accuracy: number;
}

/** Throws unless the recent-window length is a positive integer. */
function assertRecent(recent: number): void {
  if (!Number.isInteger(recent) || recent < 1) {
    throw new InvalidArgumentError(
      `recent window must be a positive integer number of samples, got ${recent}; e.g. recent: ${DEFAULT_ACCURACY_MONITOR_RECENT}`,
    );
  }
}

/**
 * Sequential accuracy monitor: feed it each answered sample's correctness and it reports,
 * with false-alarm probability ≤ α over the entire stream, when accuracy has fallen below
 * the target. See the module comment for the method. observe() is O(1) time; memory is
 * O(recent).
 */
export class AccuracyMonitor {
  /** a, in (0, 1). */
  readonly targetAccuracy: number;
  /** α, in (0, 1). */
  readonly risk: number;
  /** Length of the recent window, in samples. */
  readonly recent: number;
  /** ln(1/α). */
  readonly threshold: number;

  private readonly maxBet: number;
  // Ring buffer of the last `recent` outcomes, so the window mean updates in O(1).
  private readonly window: Uint8Array;
  private windowNext = 0;
  private windowCount = 0;
  private windowCorrect = 0;
  private samples = 0;
  private correct = 0;
  private logWealth = 0;
  private firedAt: number | null = null;

  /**
   * @param options target accuracy a in (0, 1), risk α in (0, 1), optional recent-window
   *   length (positive integer, default 200).
   * @throws InvalidArgumentError when an option is out of range.
   */
  constructor(options: AccuracyMonitorOptions) {
    const { targetAccuracy, risk, recent = DEFAULT_ACCURACY_MONITOR_RECENT } = options;
    assertTargetAccuracy(targetAccuracy);
    // a = 1 leaves no room to bet (the cap c / (1 − a) is infinite) and any error refutes it outright.
    if (targetAccuracy === 1) {
      throw new InvalidArgumentError(
        `target accuracy for monitoring must be below 1, got ${targetAccuracy}; a single error already refutes 1, so pick e.g. 0.99`,
      );
    }
    assertRisk(risk);
    assertRecent(recent);
    this.targetAccuracy = targetAccuracy;
    this.risk = risk;
    this.recent = recent;
    this.threshold = -Math.log(risk);
    this.maxBet = BET_CAP_FRACTION / (1 - targetAccuracy);
    this.window = new Uint8Array(recent);
  }

  /**
   * The bet λ for the next sample, in [0, c / (1 − a)], from the recent window only (so it is
   * predictable). μ̂ = (1/2 + correct in window) / (1 + window size) is defined from the first
   * sample on and never exactly 0 or 1.
   */
  nextBet(): number {
    const a = this.targetAccuracy;
    const mean = (0.5 + this.windowCorrect) / (1 + this.windowCount);
    const shortfall = a - mean;
    if (shortfall <= 0) return 0;
    const variance = Math.max(mean * (1 - mean), VARIANCE_FLOOR);
    return Math.min(shortfall / (variance + shortfall * shortfall), this.maxBet);
  }

  /**
   * Records one answered sample.
   *
   * @param correct whether the answer was correct.
   * @returns true once the monitor has fired (H0 rejected at level α); stays true until reset().
   */
  observe(correct: boolean): boolean {
    const outcome = correct ? 1 : 0;
    const bet = this.nextBet();
    // Factor 1 + λ(a − X) ≥ 1 − c > 0; log1p keeps precision when λ is tiny.
    if (bet > 0) this.logWealth += Math.log1p(bet * (this.targetAccuracy - outcome));
    this.samples++;
    this.correct += outcome;

    if (this.windowCount === this.recent) this.windowCorrect -= this.window[this.windowNext]!;
    else this.windowCount++;
    this.window[this.windowNext] = outcome;
    this.windowCorrect += outcome;
    this.windowNext = (this.windowNext + 1) % this.recent;

    if (this.firedAt === null && this.logWealth >= this.threshold) this.firedAt = this.samples;
    return this.firedAt !== null;
  }

  /**
   * Records samples in order, as if by observe() on each.
   *
   * @param outcomes 1 for correct, 0 for wrong (e.g. a Uint8Array of per-sample correctness).
   * @returns true once the monitor has fired.
   * @throws InvalidArgumentError on an entry other than 0 or 1; entries before it are recorded.
   */
  observeMany(outcomes: ArrayLike<number>): boolean {
    for (let i = 0; i < outcomes.length; i++) {
      const outcome = outcomes[i];
      if (outcome !== 0 && outcome !== 1) {
        throw new InvalidArgumentError(
          `outcome ${i} must be 1 (correct) or 0 (wrong), got ${outcome}; map correctness to 0/1 before observing`,
        );
      }
      this.observe(outcome === 1);
    }
    return this.firedAt !== null;
  }

  /** Whether the monitor has fired since construction or the last reset. */
  get violated(): boolean {
    return this.firedAt !== null;
  }

  /** A snapshot of counts, wealth and verdict. */
  state(): AccuracyMonitorState {
    return {
      samples: this.samples,
      correct: this.correct,
      logWealth: this.logWealth,
      threshold: this.threshold,
      violated: this.firedAt !== null,
      firedAt: this.firedAt,
      accuracy: this.samples === 0 ? Number.NaN : this.correct / this.samples,
    };
  }

  /** Starts over with wealth 1 and an empty window, e.g. after recalibrating the model. */
  reset(): void {
    this.window.fill(0);
    this.windowNext = 0;
    this.windowCount = 0;
    this.windowCorrect = 0;
    this.samples = 0;
    this.correct = 0;
    this.logWealth = 0;
    this.firedAt = null;
  }
}
