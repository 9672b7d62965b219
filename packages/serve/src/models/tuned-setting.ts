import type { ServePolicyName } from '../oip/infer-request.js';

/**
 * The operating point `pcee tune --out` may record in a profile (`"tuned": {policy, delta,
 * abstain}`). Read defensively: the field is optional and newer than this server, so a
 * malformed entry is skipped (and reported in `problems`), never fatal.
 */
export interface TunedSetting {
  readonly policy?: ServePolicyName;
  /** δ in [0, 1]. */
  readonly delta?: number;
  readonly abstain?: boolean;
  /** What was skipped and why, for a log line. */
  readonly problems: readonly string[];
}

const POLICIES: readonly string[] = ['pcee', 'pcee-ws', 'confidence'];

/** The `tuned` entry of a parsed profile JSON object, or undefined when it has none. */
export function readTunedSetting(profileJson: unknown): TunedSetting | undefined {
  if (typeof profileJson !== 'object' || profileJson === null) return undefined;
  const tuned = (profileJson as { tuned?: unknown }).tuned;
  if (tuned === undefined || tuned === null) return undefined;
  if (typeof tuned !== 'object' || Array.isArray(tuned)) {
    return { problems: [`"tuned" is not an object (${typeof tuned}); ignored`] };
  }
  const { policy, delta, abstain } = tuned as Record<string, unknown>;
  const problems: string[] = [];
  const setting: { policy?: ServePolicyName; delta?: number; abstain?: boolean } = {};
  if (typeof policy === 'string' && POLICIES.includes(policy)) setting.policy = policy as ServePolicyName;
  else if (policy !== undefined)
    problems.push(`tuned.policy ${JSON.stringify(policy)} is not one of ${POLICIES.join(', ')}; ignored`);
  if (typeof delta === 'number' && delta >= 0 && delta <= 1) setting.delta = delta;
  else if (delta !== undefined)
    problems.push(`tuned.delta ${JSON.stringify(delta)} is not a number in [0, 1]; ignored`);
  if (typeof abstain === 'boolean') setting.abstain = abstain;
  else if (abstain !== undefined)
    problems.push(`tuned.abstain ${JSON.stringify(abstain)} is not a boolean; ignored`);
  return { ...setting, problems };
}
