/**
 * `@pcee/runtime-node`: the PCEE runtime adapter for onnxruntime-node.
 *
 * @packageDocumentation
 */
export { openModelPackage } from './model-package.js';
