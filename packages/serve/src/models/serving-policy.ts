import {
  type CalibrationProfile,
  type CompiledPolicy,
  compilePolicy,
  InvalidArgumentError,
} from '@pcee/core';
import type { ServePolicyName } from '../oip/infer-request.js';

/** How a model is served when a request sets nothing. */
export interface ServingPolicy {
  readonly policy: ServePolicyName;
  /** δ in [0, 1]; with per-exit thresholds, the loosest non-final one. */
  readonly delta: number;
  /** One δ per exit, when the profile was tuned per exit (`pcee tune --per-exit`). */
  readonly exitDeltas?: readonly number[];
  /** Answer "abstain" for samples that reach the last exit in a bin below δ. */
  readonly abstain: boolean;
  /**
   * Whether it came from the options, from the profile's tuned operating point, or from a
   * recalibration on labelled traces while serving.
   */
  readonly source: 'options' | 'tuned profile' | 'recalibrated';
}

/** What the operator set (CLI flags); everything optional. */
export interface ServingOptions {
  readonly delta?: number;
  readonly policy?: ServePolicyName;
  readonly abstain?: boolean;
}

/**
 * The serving policy of one model: the options where given, else the operating point
 * `pcee tune --out` recorded in the profile (`profile.tuned`: policy, δ or one δ per exit,
 * abstention).
 *
 * @throws InvalidArgumentError when there is no δ at all, or `--policy` contradicts the tuned
 *   point without a `--delta` of its own.
 */
export function resolveServingPolicy(
  profile: CalibrationProfile,
  options: ServingOptions,
  modelId: string,
): ServingPolicy {
  const tuned = profile.tuned;
  if (options.delta !== undefined) {
    return {
      policy: options.policy ?? (tuned?.policy as ServePolicyName | undefined) ?? 'pcee',
      delta: options.delta,
      abstain: options.abstain ?? tuned?.abstain ?? false,
      source: 'options',
    };
  }
  if (!tuned) {
    throw new InvalidArgumentError(
      `no δ for model "${modelId}": give --delta <x>, or a profile tuned with pcee tune --out`,
    );
  }
  if (options.policy !== undefined && options.policy !== tuned.policy) {
    throw new InvalidArgumentError(
      `the profile of model "${modelId}" was tuned for policy ${tuned.policy}, not ${options.policy}; give --delta <x> to serve ${options.policy}`,
    );
  }
  const policy = tuned.policy as ServePolicyName;
  const exitDeltas = tuned.exitDeltas;
  const compiled = compilePolicy(profile, policy, exitDeltas ?? tuned.delta ?? Number.NaN);
  return {
    policy,
    delta: compiled.delta,
    ...(exitDeltas ? { exitDeltas } : {}),
    abstain: options.abstain ?? tuned.abstain,
    source: 'tuned profile',
  };
}

/** The serving policy compiled against the profile. */
export function compileServing(profile: CalibrationProfile, serving: ServingPolicy): CompiledPolicy {
  return compilePolicy(profile, serving.policy, serving.exitDeltas ?? serving.delta);
}
