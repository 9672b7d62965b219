/** Timing: a platform-free clock, medians, interleaved benchmark rounds. */
export { now } from './clock.js';
export { interleavedMedians } from './interleaved-medians.js';
export { median } from './median.js';
