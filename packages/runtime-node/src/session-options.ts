import { InvalidArgumentError, type LoadOptions } from '@pcee/core';
import type { InferenceSession } from 'onnxruntime-node';
import { EXECUTION_PROVIDER, type NodeDevice } from './device-probe.js';

const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;

/**
 * onnxruntime session options for one device and the caller's `LoadOptions`.
 *
 * - Exactly one execution provider: a list like `['cuda', 'cpu']` makes onnxruntime-node
 *   throw when CUDA is missing instead of falling back, and fallback is decided earlier,
 *   once, by `selectDevice`.
 * - `threads` → intra-op threads; inter-op parallelism stays 1 because stage graphs are
 *   chains with nothing to run side by side.
 * - Intra-op threads do not spin between runs: a staged model has one session per stage, each
 *   with its own pool, and pools spinning while another stage's pool works steal its cores.
 */
export function sessionOptions(
  device: NodeDevice,
  options: LoadOptions = {},
): InferenceSession.SessionOptions {
  const level = options.graphOptimization ?? 'all';
  if (!GRAPH_OPTIMIZATION_LEVELS.includes(level)) {
    throw new InvalidArgumentError(
      `graph optimisation level "${level}" is unknown; use one of: ${GRAPH_OPTIMIZATION_LEVELS.join(', ')}`,
    );
  }
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new InvalidArgumentError(`threads must be a positive integer, got ${options.threads}`);
  }
  return {
    executionProviders: [EXECUTION_PROVIDER[device]],
    graphOptimizationLevel: level,
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(options.threads === undefined ? {} : { intraOpNumThreads: options.threads }),
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}
