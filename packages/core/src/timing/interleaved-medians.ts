import { now } from './clock.js';
import { median } from './median.js';

/**
 * Times several actions the way benchmarks should, in interleaved rounds: one untimed warm-up
 * round (session caches, allocator, JIT), then `repetitions`
 * rounds that run every action once each, in order. Resolves, per action, to its median wall
 * time in ms and its last value. Interleaving makes a speedup a ratio of runs made at the same
 * moments, so other processes on a shared machine slow both sides alike instead of whichever
 * happened to run while they were busy.
 */
export async function interleavedMedians<T>(
  repetitions: number,
  actions: readonly (() => Promise<T>)[],
  onRun?: () => void,
): Promise<{ medianMs: number; value: T }[]> {
  const values: T[] = [];
  for (const [index, action] of actions.entries()) {
    values[index] = await action();
    onRun?.();
  }
  const times: number[][] = actions.map(() => []);
  for (let repetition = 0; repetition < repetitions; repetition++) {
    for (const [index, action] of actions.entries()) {
      const started = now();
      values[index] = await action();
      times[index]!.push(now() - started);
      onRun?.();
    }
  }
  return times.map((list, index) => ({ medianMs: median(list), value: values[index]! }));
}
