import { InvalidArgumentError } from '../errors/index.js';

/**
 * Exact binomial tails through the regularized incomplete beta function, evaluated in log
 * space (Lanczos log-gamma, Lentz's continued fraction) so that n in the millions neither
 * overflows nor underflows: P(X ≤ k) for X ~ Binomial(n, p) equals I_{1−p}(n − k, k + 1).
 */

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms: relative error about 1e-15).
 */
export function logGamma(x: number): number {
  if (x < 0.5) {
    // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const TINY = 1e-300;
const EPSILON = 1e-16;
const MAX_ITERATIONS = 1_000_000;

/**
 * Continued fraction of the incomplete beta (modified Lentz). Converges fast for
 * x < (a + 1) / (a + b + 2); needs about √max(a, b) terms.
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return h;
}

/**
 * Regularized incomplete beta I_x(a, b) = B(x; a, b) / B(a, b), for a, b > 0 and x in [0, 1].
 * The prefactor x^a (1 − x)^b / B(a, b) is formed in log space.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0) || !(x >= 0 && x <= 1)) {
    throw new InvalidArgumentError(
      `incomplete beta needs a, b > 0 and x in [0, 1], got x=${x}, a=${a}, b=${b}`,
    );
  }
  if (x === 0) return 0;
  if (x === 1) return 1;
  const logPrefactor = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  // Use the continued fraction on the side where it converges; the other side by symmetry
  // I_x(a, b) = 1 − I_{1−x}(b, a). Small results always come from the direct side.
  if (x < (a + 1) / (a + b + 2)) {
    return Math.exp(logPrefactor) * (betaContinuedFraction(x, a, b) / a);
  }
  return 1 - Math.exp(logPrefactor) * (betaContinuedFraction(1 - x, b, a) / b);
}

function assertCounts(successes: number, trials: number): void {
  if (!Number.isInteger(trials) || trials < 0 || !Number.isInteger(successes) || successes < 0) {
    throw new InvalidArgumentError(
      `binomial counts must be non-negative integers, got k=${successes} of n=${trials}`,
    );
  }
}

/**
 * P(X ≤ k) for X ~ Binomial(n, p): the lower tail, exact up to float rounding (about 1e-14
 * absolute).
 *
 * @param k observed count, integer ≥ 0 (k ≥ n gives 1).
 * @param n trials, integer ≥ 0.
 * @param p success probability in [0, 1].
 */
export function binomialCdf(k: number, n: number, p: number): number {
  assertCounts(k, n);
  if (!(p >= 0 && p <= 1)) throw new InvalidArgumentError(`binomial probability must be in [0, 1], got ${p}`);
  if (k >= n) return 1;
  if (p === 0) return 1;
  if (p === 1) return 0;
  return regularizedIncompleteBeta(1 - p, n - k, k + 1);
}

/**
 * Exact (Clopper–Pearson) p-value of the null hypothesis "the error rate exceeds
 * `maxErrorRate`" after `errors` errors in `trials` exchangeable trials:
 * P(X ≤ errors) for X ~ Binomial(trials, maxErrorRate). Small values reject the null,
 * i.e. show the error rate is at most `maxErrorRate`. With no trials nothing is shown: 1.
 *
 * @param maxErrorRate ε in [0, 1].
 */
export function errorRatePValue(errors: number, trials: number, maxErrorRate: number): number {
  assertCounts(errors, trials);
  if (errors > trials) {
    throw new InvalidArgumentError(`cannot have ${errors} errors in ${trials} trials`);
  }
  if (trials === 0) return 1;
  return binomialCdf(errors, trials, maxErrorRate);
}

/**
 * One-sided Clopper–Pearson upper confidence bound on an error rate: the p at which
 * P(X ≤ errors | trials, p) = risk. The true rate is below it with probability ≥ 1 − risk.
 *
 * @param risk α in (0, 1).
 * @returns a rate in [0, 1]; 1 when errors = trials or there are no trials.
 */
export function clopperPearsonUpper(errors: number, trials: number, risk: number): number {
  assertCounts(errors, trials);
  if (errors >= trials) return 1;
  // The tail decreases in p: bisect to full float precision.
  let low = errors / trials;
  let high = 1;
  for (let step = 0; step < 200 && high - low > 1e-15; step++) {
    const middle = (low + high) / 2;
    if (binomialCdf(errors, trials, middle) > risk) low = middle;
    else high = middle;
  }
  return high;
}
