/**
 * `@pcee/engine/node`: the engine's Node-only parts (they read the host through `node:os`).
 *
 * @packageDocumentation
 */
export { hostCpuModel } from './host-cpu.js';
