/** Small numeric helpers: fast exp, a seeded random source, binary search. */
export { expNonPositive } from './fast-exp.js';
export { seededRandom, shuffleInPlace } from './seeded-random.js';
export { upperBound } from './upper-bound.js';
