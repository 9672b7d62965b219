import {
  type CalibrationProfile,
  InvalidArgumentError,
  parseDeltaList,
  type ThresholdPolicyName,
} from '@pcee/core';

/** One policy at one threshold (or one threshold per exit), as a command runs it. */
export interface OperatingPoint {
  readonly policy: ThresholdPolicyName;
  /** δ, or one δ per exit (a per-exit tuned profile). */
  readonly delta: number | readonly number[];
  readonly abstain: boolean;
  /** True when it came from the profile's `tuned` field. */
  readonly tuned: boolean;
}

/** The flags that choose operating points. */
export interface OperatingPointFlags {
  /** `--delta` as written; undefined when not given. */
  readonly delta?: string;
  /** `--policy` as written; undefined when not given. */
  readonly policy?: string;
  readonly abstain?: boolean;
}

/**
 * The operating points a command runs: every `--policy` × `--delta` when δ is given; else
 * the profile's tuned point (`pcee tune --out`), whose abstention setting is kept; else
 * `fallbackDeltas` when the command has a default sweep; else an error saying what to give.
 *
 * @throws InvalidArgumentError for a `--policy` other than the tuned one without `--delta`,
 *   or when neither `--delta` nor a tuned point nor a fallback exists.
 */
export function resolveOperatingPoints(
  profile: CalibrationProfile,
  flags: OperatingPointFlags,
  defaults: { readonly policies?: string; readonly fallbackDeltas?: string } = {},
): OperatingPoint[] {
  const abstain = flags.abstain ?? false;
  const deltaText = flags.delta ?? (profile.tuned ? undefined : defaults.fallbackDeltas);
  if (deltaText !== undefined) {
    const policies = parseRunPolicies(flags.policy ?? defaults.policies ?? 'pcee');
    const deltas = parseDeltaList(deltaText);
    return policies.flatMap((policy) => deltas.map((delta) => ({ policy, delta, abstain, tuned: false })));
  }
  const { tuned } = profile;
  if (!tuned) {
    throw new InvalidArgumentError(
      'give --delta: this profile has no tuned operating point (tune one with: pcee tune <profile.json> <holdout-traces> --target-accuracy 0.9 --out tuned.json)',
    );
  }
  if (flags.policy !== undefined && flags.policy.trim() !== tuned.policy) {
    throw new InvalidArgumentError(
      `--policy ${flags.policy} differs from the profile's tuned policy ${tuned.policy}; give --delta too to run another policy`,
    );
  }
  return [
    {
      policy: tuned.policy,
      delta: tuned.exitDeltas ?? tuned.delta ?? 1,
      abstain: abstain || tuned.abstain,
      tuned: true,
    },
  ];
}

/** δ for tables: the number, or the per-exit list joined by "/", to 4 decimals (JSON keeps them exact). */
export function formatOperatingDelta(delta: number | readonly number[]): string {
  const format = (value: number) => String(Number(value.toFixed(4)));
  return typeof delta === 'number' ? format(delta) : delta.map(format).join('/');
}

/** Parses a comma list of policy names for running (the oracle needs labels, so it cannot run). */
export function parseRunPolicies(text: string): ('pcee' | 'pcee-ws' | 'confidence')[] {
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (name !== 'pcee' && name !== 'pcee-ws' && name !== 'confidence') {
      throw new InvalidArgumentError(
        `unknown policy "${name}" for running a model; use one of: pcee, pcee-ws, confidence (the oracle needs labels, see pcee evaluate)`,
      );
    }
  }
  return names as ('pcee' | 'pcee-ws' | 'confidence')[];
}
