import { describe, expect, it } from 'vitest';
import type { ExitCosts } from '../cost/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { ModelManifest } from '../model/index.js';
import { measuredExitOverheads } from './exit-overheads.js';

const manifest = {
  id: 'three-stages',
  stages: [
    { flops: { backbone: 100, head: 4 } },
    { flops: { backbone: 100, head: 6 } },
    { flops: { backbone: 100, head: 10 } },
  ],
} as unknown as ModelManifest;
const flops: ExitCosts = { unit: 'flops', exits: [104, 210, 320], fullModel: 310 };
// The fused graph: 310 FLOPs in 31 ms per batch of 10, so 1 ms per sample is 100 FLOPs.
const measurement = { batch: 10, stagedMs: 33, fusedMs: 31, perExitMs: 0.1 };

describe('measuredExitOverheads', () => {
  it('converts the measured time into FLOPs at the fused rate, beyond the mean head', () => {
    // 0.1 ms per sample = 10 FLOPs, of which the mean head (5) is already counted.
    const { costs, overheads, boundary } = measuredExitOverheads(flops, manifest, measurement);
    expect(boundary).toBeCloseTo(5, 12);
    expect(costs.exits.map((cost) => Math.round(cost))).toEqual([104, 215, 330]);
    expect(overheads.map((overhead) => Math.round(overhead))).toEqual([9, 11, 10]);
  });

  it('takes measured milliseconds as they are', () => {
    const ms: ExitCosts = { unit: 'ms', exits: [1, 2, 3], fullModel: 2.5 };
    expect(measuredExitOverheads(ms, manifest, measurement)).toEqual({
      costs: ms,
      overheads: [0.1, 0.1, 0],
      boundary: 0.1,
    });
  });

  it('counts no boundary when fusing saved nothing', () => {
    const { overheads } = measuredExitOverheads(flops, manifest, { ...measurement, perExitMs: 0 });
    expect(overheads).toEqual([4, 6, 10]);
  });

  it.each([
    ['a zero fused time', { ...measurement, fusedMs: 0 }, /is not a measurement/],
    ['costs of another model', measurement, /costs have 2 exits but model "three-stages" has 3/],
  ])('rejects %s', (name, given, message) => {
    const costs = name === 'costs of another model' ? { ...flops, exits: [1, 2] } : flops;
    const run = () => measuredExitOverheads(costs, manifest, given);
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(message);
  });
});
