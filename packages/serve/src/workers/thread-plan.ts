import { availableParallelism } from 'node:os';

/** How a server spreads its work over the cores. */
export interface ThreadPlan {
  /** Protocol worker threads (decode, validate, encode); 0 keeps that work on the main thread. */
  readonly workers: number;
  /** onnxruntime intra-op threads per session; undefined leaves onnxruntime's default (one per core). */
  readonly intraOpThreads?: number;
}

/**
 * The default number of protocol workers for `cores`: one per four cores, at least one, at most
 * four. The protocol work is a fraction of inference (tens of µs per request against
 * milliseconds per batch), so a few workers keep up with many cores of onnxruntime.
 */
export function defaultProtocolWorkers(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(4, Math.floor(cores / 4)));
}

/**
 * Protocol workers and onnxruntime intra-op threads for a server. The caller's choices win;
 * otherwise the workers are `defaultProtocolWorkers` and, when there are workers, onnxruntime
 * gets the cores they leave, but never fewer than two threads (or every core, if fewer): its
 * threads do not spin between runs (runtime-node turns spinning off) and the workers are idle
 * most of the time, so sharing a core briefly costs less than halving every stage run.
 *
 * @param workers protocol workers asked for (≥ 0), or undefined for the default.
 * @param threads intra-op threads asked for (`--threads`), or undefined.
 */
export function planThreads(
  workers: number | undefined,
  threads: number | undefined,
  cores: number = availableParallelism(),
): ThreadPlan {
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0)) {
    throw new RangeError(`workers must be an integer ≥ 0, got ${workers}`);
  }
  const chosen = workers ?? defaultProtocolWorkers(cores);
  if (threads !== undefined || chosen === 0) return { workers: chosen, intraOpThreads: threads };
  return { workers: chosen, intraOpThreads: Math.min(cores, Math.max(2, cores - chosen)) };
}
