/** Traces: every exit's logits and the labels, validated. */
export { type CreateTracesOptions, createTraces, nonFiniteLogitsError, type Traces } from './traces.js';
