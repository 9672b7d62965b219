/**
 * `@pcee/cli`: the `pcee` command, as a library so it can be embedded and tested
 * in-process. `main(argv)` runs it and resolves to the exit code.
 *
 * @packageDocumentation
 */
export { main } from './main.js';
export { buildProgram } from './program.js';
