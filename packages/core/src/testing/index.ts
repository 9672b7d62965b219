/**
 * `@pcee/core/testing`: the conformance suite every runtime adapter runs against its own
 * backend, framework-free so it runs under vitest in Node and in a browser page alike.
 *
 * @packageDocumentation
 */
export * from './conformance-suite.js';
