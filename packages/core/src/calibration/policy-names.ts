import { InvalidArgumentError } from '../errors/index.js';

/**
 * Exit policies.
 * - `pcee`: exit at the first head whose bin (for the sample's confidence) is non-empty
 *   and has validation accuracy ≥ δ.
 * - `pcee-ws`: the same on isotonic-smoothed bin accuracies.
 * - `confidence`: exit at the first head with confidence ≥ δ (the usual baseline).
 * - `oracle`: exit at the first head that is right (needs labels: a lower bound on cost,
 *   not deployable).
 */
export type PolicyName = 'pcee' | 'pcee-ws' | 'confidence' | 'oracle';

/** Every policy, in the order reports list them. */
export const POLICY_NAMES: readonly PolicyName[] = ['pcee', 'pcee-ws', 'confidence', 'oracle'];

/** Policies that take a threshold δ and can be deployed. */
export type ThresholdPolicyName = Exclude<PolicyName, 'oracle'>;

/** Throws unless `name` is a known policy. */
export function assertPolicyName(name: string): asserts name is PolicyName {
  if (!(POLICY_NAMES as readonly string[]).includes(name)) {
    throw new InvalidArgumentError(`unknown policy "${name}"; use one of: ${POLICY_NAMES.join(', ')}`);
  }
}

/**
 * Parses a comma-separated list of policy names (`pcee,pcee-ws,oracle`), blanks around names
 * ignored.
 *
 * @throws InvalidArgumentError naming the first unknown policy.
 */
export function parsePolicyNames(text: string): PolicyName[] {
  const names = text.split(',').map((name) => name.trim());
  names.forEach(assertPolicyName);
  return names as PolicyName[];
}
