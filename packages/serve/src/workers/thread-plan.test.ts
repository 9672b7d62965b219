import { describe, expect, it } from 'vitest';
import { defaultProtocolWorkers, planThreads } from './thread-plan.js';

describe('planThreads', () => {
  it.each([
    [1, 1],
    [2, 1],
    [4, 1],
    [8, 2],
    [16, 4],
    [64, 4],
  ])('%i cores: %i protocol worker(s) by default', (cores, workers) => {
    expect(defaultProtocolWorkers(cores)).toBe(workers);
  });

  it.each<
    [string, number | undefined, number | undefined, number, { workers: number; intraOpThreads?: number }]
  >([
    [
      '2 cores, defaults: one worker, onnxruntime keeps both cores',
      undefined,
      undefined,
      2,
      { workers: 1, intraOpThreads: 2 },
    ],
    [
      '8 cores, defaults: two workers, six intra-op threads',
      undefined,
      undefined,
      8,
      { workers: 2, intraOpThreads: 6 },
    ],
    [
      '1 core: never more intra-op threads than cores',
      undefined,
      undefined,
      1,
      { workers: 1, intraOpThreads: 1 },
    ],
    ['inline (0 workers): onnxruntime default', 0, undefined, 8, { workers: 0, intraOpThreads: undefined }],
    ['--threads wins', 3, 5, 8, { workers: 3, intraOpThreads: 5 }],
  ])('%s', (_name, workers, threads, cores, plan) => {
    expect(planThreads(workers, threads, cores)).toEqual(plan);
  });

  it('refuses a negative or fractional worker count, naming it', () => {
    expect(() => planThreads(-1, undefined, 4)).toThrow('workers must be an integer ≥ 0, got -1');
    expect(() => planThreads(1.5, undefined, 4)).toThrow('got 1.5');
  });
});
