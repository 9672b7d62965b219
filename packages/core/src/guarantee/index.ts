/**
 * Tuning with guarantees: Learn-then-Test over δ with exact binomial p-values, budget
 * tuning (single δ or per exit), abstention, and the content hashes that keep the holdout
 * apart from the calibration data.
 */
export * from './accuracy-monitor.js';
export * from './binomial-tail.js';
export * from './budget-tuning.js';
export * from './content-hash.js';
export * from './cost-budget.js';
export * from './fixed-sequence.js';
export * from './learn-then-test.js';
export * from './per-exit-search.js';
export * from './resampling-study.js';
export * from './tuned-operating-point.js';
