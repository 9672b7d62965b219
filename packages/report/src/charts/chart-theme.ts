import type { PolicyName } from '@pcee/core';

/** One color per policy, the same in every chart (Observable 10 palette). */
export const POLICY_COLORS: Readonly<Record<PolicyName | 'full model', string>> = {
  pcee: '#4269d0',
  'pcee-ws': '#3ca951',
  confidence: '#ff725c',
  oracle: '#a463f2',
  'full model': '#222222',
};

/**
 * Dash pattern per threshold policy: pcee and pcee-ws often coincide (smoothing changes
 * nothing where bins are already monotone), so pcee-ws is dashed over pcee to keep both visible.
 */
export const POLICY_DASHES: Readonly<Record<'pcee' | 'pcee-ws' | 'confidence', string>> = {
  pcee: 'none',
  'pcee-ws': '5,3',
  confidence: 'none',
};

/** Colors of the two models in the comparison chart. */
export const MODEL_COLORS: readonly [string, string] = ['#4269d0', '#ff725c'];

/** Muted ink for diagonals and reference lines. */
export const REFERENCE_INK = '#9aa0a6';
