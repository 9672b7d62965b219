/** Timing: a platform-free clock, medians and quantiles, interleaved benchmark rounds. */
export { now } from './clock.js';
export { interleavedMedians } from './interleaved-medians.js';
export { median, quantile } from './median.js';
