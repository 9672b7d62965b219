/**
 * `@pcee/core/testing`: the conformance suite every runtime adapter runs against its own
 * backend, framework-free so it runs under vitest in Node and in a browser page alike, and
 * the synthetic traces tests of code built on PCEE share.
 *
 * @packageDocumentation
 */
export {
  type ConformanceCase,
  type ConformanceSubject,
  conformanceCases,
  type PolicyEvaluation,
} from './conformance-suite.js';
export { syntheticTraces } from './synthetic-traces.js';
