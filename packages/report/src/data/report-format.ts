import type { CostUnit } from '@pcee/core';

/** A fraction in [0, 1] as a percentage: 0.9123 → "91.2%". */
export function formatPercent(value: number, digits = 1): string {
  return `${(value * 100).toFixed(digits)}%`;
}

/** A difference of two fractions in percentage points: 0.021 → "2.1". */
export function formatPoints(value: number): string {
  return (value * 100).toFixed(1);
}

/** A cost with its unit: FLOPs with an SI prefix ("7.00 MFLOPs"), others as plain numbers. */
export function formatFlops(value: number, unit: CostUnit): string {
  if (unit !== 'flops') return `${Number(value.toPrecision(4))} (${unit})`;
  const prefixes: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, prefix] of prefixes) {
    if (value >= scale) return `${(value / scale).toFixed(2)} ${prefix}FLOPs`;
  }
  return `${Math.round(value)} FLOPs`;
}

/** A δ as a short label: 0.85 → "0.85". */
export function formatDelta(delta: number | null): string {
  return delta === null ? '–' : String(Number(delta.toFixed(3)));
}
