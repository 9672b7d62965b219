import { describe, expect, it } from 'vitest';
import type { ExitCosts } from '../cost/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import { costsWithoutExits, fusedExitCosts, withBoundaryCosts } from './fusion-costs.js';

const costs: ExitCosts = { unit: 'flops', exits: [10, 25, 40, 60], fullModel: 55 };
const heads = [2, 3, 4, 5];

describe('costsWithoutExits', () => {
  it.each([
    ['nothing dropped', [], [10, 25, 40, 60]],
    ['exit 0 dropped: every later exit saves its head', [0], [10, 23, 38, 58]],
    ['exits 0 and 2 dropped', [0, 2], [10, 23, 38, 54]],
    ['every intermediate exit dropped', [0, 1, 2], [10, 23, 35, 51]],
  ])('%s', (_, dropped, expected) => {
    expect(costsWithoutExits(costs, dropped, heads)).toEqual({ ...costs, exits: expected });
  });

  it('clamps so costs stay cumulative when an overhead exceeds its stage', () => {
    expect(costsWithoutExits(costs, [1], [0, 30, 0, 0]).exits).toEqual([10, 25, 25, 30]);
  });

  it.each([
    ['the last exit', [3], heads, /only exits 0…2 can be dropped/],
    ['a missing exit', [7], heads, /only exits 0…2 can be dropped/],
    ['too few overheads', [0], [1, 2], /got 2 exit overheads for 4 exits/],
    ['a negative overhead', [0], [1, -2, 0, 0], /overhead of exit 1 is -2/],
  ])('rejects %s', (_, dropped, overheads, message) => {
    const run = () => costsWithoutExits(costs, dropped, overheads);
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(message);
  });
});

describe('withBoundaryCosts', () => {
  it('adds every boundary an exit crosses', () => {
    expect(withBoundaryCosts(costs, [1, 2, 3, 4])).toEqual({ ...costs, exits: [10, 26, 43, 66] });
  });
});

describe('fusedExitCosts', () => {
  it('gives each fused exit the original cost minus the dropped heads before it', () => {
    const plan = {
      liveExits: [1, 3],
      groups: [
        [0, 1],
        [2, 3],
      ],
    };
    expect(fusedExitCosts(costs, plan, heads)).toEqual({ unit: 'flops', exits: [23, 54], fullModel: 55 });
  });

  it('keeps the costs when nothing is fused', () => {
    const plan = { liveExits: [0, 1, 2, 3], groups: [[0], [1], [2], [3]] };
    expect(fusedExitCosts(costs, plan, heads)).toEqual(costs);
  });

  it('rejects a plan of another model', () => {
    expect(() => fusedExitCosts(costs, { liveExits: [0, 2], groups: [[0], [1, 2]] }, heads)).toThrow(
      /fusion plan ends at exit 2 but the costs have 4 exits/,
    );
  });
});
