import { InvalidArgumentError, type LoadOptions } from '@pcee/core';
import type { InferenceSession } from 'onnxruntime-web';
import type { WebDevice } from './ort-flavour.js';

const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;

/**
 * onnxruntime-web session options for one device and the caller's `LoadOptions`.
 * Exactly one execution provider: fallback is decided once, earlier, by `selectDevice`, so a
 * session never drifts silently to another device. Outputs come back to the CPU because the
 * runner decides exits and compacts the batch there.
 */
export function sessionOptions(
  device: WebDevice,
  options: LoadOptions = {},
): InferenceSession.SessionOptions {
  const level = options.graphOptimization ?? 'all';
  if (!GRAPH_OPTIMIZATION_LEVELS.includes(level)) {
    throw new InvalidArgumentError(
      `graph optimisation level "${level}" is unknown; use one of: ${GRAPH_OPTIMIZATION_LEVELS.join(', ')}`,
    );
  }
  return {
    executionProviders: [device],
    graphOptimizationLevel: level,
    executionMode: 'sequential',
    preferredOutputLocation: 'cpu',
    logSeverityLevel: 3,
  };
}
