import { now } from '@pcee/core';

/**
 * Times `action` the way benchmarks should: one untimed warm-up run (session caches,
 * allocator, JIT), then `repetitions` timed runs; resolves to the median wall time in ms
 * and the last run's value. The median ignores the odd run disturbed by other processes.
 */
export async function medianTiming<T>(
  repetitions: number,
  action: () => Promise<T>,
  onRun?: () => void,
): Promise<{ medianMs: number; value: T }> {
  let value = await action();
  onRun?.();
  const times: number[] = [];
  for (let repetition = 0; repetition < repetitions; repetition++) {
    const started = now();
    value = await action();
    times.push(now() - started);
    onRun?.();
  }
  times.sort((a, b) => a - b);
  const middle = times.length >> 1;
  const medianMs = times.length % 2 === 1 ? times[middle]! : (times[middle - 1]! + times[middle]!) / 2;
  return { medianMs, value };
}
