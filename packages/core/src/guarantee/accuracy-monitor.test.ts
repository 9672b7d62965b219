import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/index.js';
import { seededRandom } from '../math/index.js';
import { AccuracyMonitor, type AccuracyMonitorOptions } from './accuracy-monitor.js';

/** n outcomes, each 1 with probability p, from a seeded generator. */
function bernoulli(random: () => number, p: number, n: number): Uint8Array {
  const outcomes = new Uint8Array(n);
  for (let i = 0; i < n; i++) outcomes[i] = random() < p ? 1 : 0;
  return outcomes;
}

describe('AccuracyMonitor', () => {
  it('matches a hand-computed wealth path and fires at the right sample', () => {
    // a = 0.9, α = 0.05 (threshold ln 20 ≈ 2.9957), recent = 4, cap c/(1 − a) = 5.
    // μ̂ = (1/2 + correct in window) / (1 + window size); λ = (a − μ̂) / (μ̂(1 − μ̂) + (a − μ̂)²).
    //  t  X  window     μ̂      λ       factor 1 + λ(a − X)
    //  1  1  []         1/2    40/41   37/41
    //  2  0  [1]        3/4    5/7     23/14
    //  3  0  [1,0]      1/2    40/41   77/41
    //  4  1  [1,0,0]    3/8    35/34   61/68
    //  5  0  [1,0,0,1]  1/2    40/41   77/41
    //  6  0  [0,0,1,0]  3/10   20/19   37/19
    //  7  0  [0,1,0,0]  3/10   20/19   37/19   ln K_7 ≈ 2.8786 < ln 20
    //  8  0  [1,0,0,0]  3/10   20/19   37/19   ln K_8 ≈ 3.5451 ≥ ln 20: fires
    const factors = [37 / 41, 23 / 14, 77 / 41, 61 / 68, 77 / 41, 37 / 19, 37 / 19, 37 / 19];
    const outcomes = [1, 0, 0, 1, 0, 0, 0, 0];
    const monitor = new AccuracyMonitor({ targetAccuracy: 0.9, risk: 0.05, recent: 4 });
    let expected = 0;
    for (let t = 0; t < outcomes.length; t++) {
      expected += Math.log(factors[t]!);
      const fired = monitor.observe(outcomes[t] === 1);
      expect(monitor.state().logWealth).toBeCloseTo(expected, 12);
      expect(fired).toBe(t === 7);
    }
    expect(monitor.state().logWealth).toBeCloseTo(3.5450524019831153, 12);
    expect(monitor.state()).toMatchObject({
      samples: 8,
      correct: 2,
      violated: true,
      firedAt: 8,
      accuracy: 0.25,
    });
    expect(monitor.state().threshold).toBeCloseTo(Math.log(20), 15);
  });

  it('stays violated until reset, then starts over', () => {
    const monitor = new AccuracyMonitor({ targetAccuracy: 0.9, risk: 0.05, recent: 4 });
    monitor.observeMany([1, 0, 0, 1, 0, 0, 0, 0]);
    expect(monitor.observeMany(new Uint8Array(1000).fill(1))).toBe(true);
    expect(monitor.state().firedAt).toBe(8);
    monitor.reset();
    expect(monitor.state()).toEqual({
      samples: 0,
      correct: 0,
      logWealth: 0,
      threshold: Math.log(20),
      violated: false,
      firedAt: null,
      accuracy: Number.NaN,
    });
    // Same path after reset: the window was cleared too.
    monitor.observeMany([1, 0, 0, 1, 0, 0, 0]);
    expect(monitor.violated).toBe(false);
    expect(monitor.observe(false)).toBe(true);
    expect(monitor.state().firedAt).toBe(8);
  });

  it.each([200, 50, 4])('never gains wealth on 10,000 correct answers (recent = %i)', (recent) => {
    const monitor = new AccuracyMonitor({ targetAccuracy: 0.9, risk: 0.05, recent });
    for (let t = 0; t < 10_000; t++) expect(monitor.observe(true)).toBe(false);
    const { logWealth, violated } = monitor.state();
    expect(logWealth).toBeLessThanOrEqual(0);
    expect(violated).toBe(false);
    // Only the first few bets, before the window's smoothed mean reaches a, cost anything
    // (recent = 4 is the shortest window whose all-correct mean (1/2 + 4) / 5 reaches 0.9).
    expect(monitor.nextBet()).toBe(0);
  });

  it('raises false alarms at most α of the time when accuracy is just above target', () => {
    const random = seededRandom(20240611);
    const runs = 200;
    let fired = 0;
    for (let run = 0; run < runs; run++) {
      const monitor = new AccuracyMonitor({ targetAccuracy: 0.9, risk: 0.05 });
      if (monitor.observeMany(bernoulli(random, 0.91, 5_000))) fired++;
    }
    expect(fired / runs).toBeLessThanOrEqual(0.05);
  });

  // Over seeds 1..300 the delay had median 285 and maximum 731 samples (wealth at the shift
  // had median ln K ≈ −4.4, from small bets lost on noisy windows of 0.93), so 1,000 leaves margin.
  it.each([1, 2, 3])('detects a drop from 0.93 to 0.8 after 20,000 samples quickly (seed %i)', (seed) => {
    const random = seededRandom(seed);
    const monitor = new AccuracyMonitor({ targetAccuracy: 0.9, risk: 0.05 });
    expect(monitor.observeMany(bernoulli(random, 0.93, 20_000))).toBe(false);
    expect(monitor.observeMany(bernoulli(random, 0.8, 1_000))).toBe(true);
    const delay = monitor.state().firedAt! - 20_000;
    expect(delay).toBeLessThanOrEqual(1_000);
  });

  it.each<[string, Partial<AccuracyMonitorOptions>, RegExp]>([
    ['target 0', { targetAccuracy: 0 }, /target accuracy .*got 0;/],
    ['target 1', { targetAccuracy: 1 }, /target accuracy .*below 1, got 1;/],
    ['target NaN', { targetAccuracy: Number.NaN }, /target accuracy .*got NaN;/],
    ['risk 0', { risk: 0 }, /risk α .*got 0;/],
    ['risk 1', { risk: 1 }, /risk α .*got 1;/],
    ['risk NaN', { risk: Number.NaN }, /risk α .*got NaN;/],
    ['recent 0', { recent: 0 }, /recent window .*got 0;/],
    ['recent 2.5', { recent: 2.5 }, /recent window .*got 2.5;/],
  ])('rejects %s', (_name, override, message) => {
    const call = () => new AccuracyMonitor({ targetAccuracy: 0.9, risk: 0.05, ...override });
    expect(call).toThrow(InvalidArgumentError);
    expect(call).toThrow(message);
  });

  it('rejects outcomes other than 0 and 1, naming the entry', () => {
    const monitor = new AccuracyMonitor({ targetAccuracy: 0.9, risk: 0.05 });
    expect(() => monitor.observeMany([1, 0, 2])).toThrow(InvalidArgumentError);
    expect(() => new AccuracyMonitor({ targetAccuracy: 0.9, risk: 0.05 }).observeMany([1, 0, 2])).toThrow(
      /outcome 2 .*got 2;/,
    );
  });

  it('keeps every wealth factor positive and log-wealth finite', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        fc.double({ min: 1e-6, max: 0.5, noNaN: true }),
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.boolean(), { maxLength: 600 }),
        (targetAccuracy, risk, recent, outcomes) => {
          const monitor = new AccuracyMonitor({ targetAccuracy, risk, recent });
          for (const correct of outcomes) {
            const bet = monitor.nextBet();
            expect(bet).toBeGreaterThanOrEqual(0);
            expect(bet).toBeLessThanOrEqual((0.5 / (1 - targetAccuracy)) * (1 + 1e-12));
            // The supermartingale factor; c = 1/2 keeps it ≥ 1/2.
            const factor = 1 + bet * (targetAccuracy - (correct ? 1 : 0));
            expect(factor).toBeGreaterThan(0);
            monitor.observe(correct);
            expect(Number.isFinite(monitor.state().logWealth)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
