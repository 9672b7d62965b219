import { type TransferListItem, Worker } from 'node:worker_threads';
import { InternalServeError } from '../errors/serve-error.js';
import { reviveError, type SerializedError } from './serialized-error.js';

/** What a pool worker posts back: once `ready` after loading, then one reply per task. */
export type WorkerReply<Result> =
  | { readonly ready: true }
  | { readonly id: number; readonly ok: true; readonly result: Result }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

/** Options of a `WorkerPool`. */
export interface WorkerPoolOptions {
  /** The worker's module (an ES module that answers `{id, task}` messages with `WorkerReply`s). */
  readonly script: URL;
  /** Worker threads, ≥ 1. */
  readonly size: number;
  /** Passed to every worker as `workerData` (structured-cloned). */
  readonly workerData?: unknown;
  /** Called when a worker died and was replaced (for logs). */
  readonly onCrash?: (details: { readonly threadId: number; readonly reason: string }) => void;
}

interface Slot {
  worker: Worker;
  /** Whether it has loaded its script; tasks go only to loaded workers (not to one that may fail to load). */
  loaded: boolean;
  /** The one task it runs now; workers take one at a time, so a crash fails only that task. */
  busy?: { id: number; resolve: (value: unknown) => void; reject: (error: Error) => void };
}

interface Waiting {
  task: unknown;
  transfer: readonly TransferListItem[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * A fixed-size pool of worker threads over `node:worker_threads`, one task per worker at a time
 * (the rest wait here, first in first out). A worker that dies (an uncaught error, an exit, out
 * of memory) fails the task it held with an `InternalServeError` and is replaced at once;
 * queued tasks and the other workers' tasks carry on. Errors a task throws come back revived
 * (`serialized-error.ts`), so callers see the error class and message the code threw.
 */
export class WorkerPool<Task, Result> {
  private readonly slots: Slot[] = [];
  private readonly waiting: Waiting[] = [];
  private nextId = 0;
  private closed = false;
  private crashes = 0;

  constructor(private readonly options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new RangeError(`a worker pool needs a positive integer size, got ${options.size}`);
    }
    for (let index = 0; index < options.size; index++) this.slots.push(this.spawn());
  }

  /** Worker threads. */
  get size(): number {
    return this.slots.length;
  }

  /** Workers that died and were replaced since the pool started. */
  get replaced(): number {
    return this.crashes;
  }

  /** Tasks waiting for a free worker. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves once every worker has loaded its script; rejects with the first load failure
   * (a missing or broken script), so a server fails at start rather than on its first request.
   */
  ready(): Promise<void> {
    return Promise.all(
      this.slots.map(
        ({ worker }) =>
          new Promise<void>((resolve, reject) => {
            const onMessage = (message: WorkerReply<Result>) => {
              if ('ready' in message) settle();
            };
            const onError = (error: Error) => settle(error);
            const onExit = (code: number) => settle(new Error(`the worker exited with code ${code}`));
            const settle = (error?: Error) => {
              worker.off('message', onMessage);
              worker.off('error', onError);
              worker.off('exit', onExit);
              if (error) {
                reject(
                  new InternalServeError(
                    `a protocol worker failed to start (${error.message}); is ${this.options.script.pathname} built? (npm run build -w @pcee/serve)`,
                    { cause: error },
                  ),
                );
              } else resolve();
            };
            worker.on('message', onMessage);
            worker.once('error', onError);
            worker.once('exit', onExit);
          }),
      ),
    ).then(() => {});
  }

  /**
   * Runs one task on a free worker (or queues it).
   *
   * @param transfer buffers moved to the worker without copying; the caller must not use them after.
   */
  run(task: Task, transfer: readonly TransferListItem[] = []): Promise<Result> {
    if (this.closed) return Promise.reject(new InternalServeError('the worker pool is closed'));
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ task, transfer, resolve: resolve as (value: unknown) => void, reject });
      this.dispatch();
    });
  }

  /** Stops every worker; tasks still queued or running are failed. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new InternalServeError('the server shut down before this request was decoded');
    for (const waiting of this.waiting.splice(0)) waiting.reject(error);
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.busy?.reject(error);
        slot.busy = undefined;
        await slot.worker.terminate();
      }),
    );
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.waiting.length === 0) return;
      if (slot.busy || !slot.loaded) continue;
      const next = this.waiting.shift()!;
      const id = this.nextId++;
      slot.busy = { id, resolve: next.resolve, reject: next.reject };
      try {
        slot.worker.postMessage({ id, task: next.task }, next.transfer as TransferListItem[]);
      } catch (error) {
        // An uncloneable task is the caller's bug; the worker stays free.
        slot.busy = undefined;
        next.reject(error as Error);
      }
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.options.script, { workerData: this.options.workerData });
    const slot: Slot = { worker, loaded: false };
    const threadId = worker.threadId;
    // Idle workers must not keep a process alive that is otherwise done (a CLI, a test).
    worker.unref();
    worker.on('message', (message: WorkerReply<Result>) => {
      if ('ready' in message) {
        slot.loaded = true;
        this.dispatch();
        return;
      }
      const busy = slot.busy;
      if (!busy || busy.id !== message.id) return;
      slot.busy = undefined;
      if (message.ok) busy.resolve(message.result);
      else busy.reject(reviveError(message.error));
      this.dispatch();
    });
    let died = false;
    const die = (reason: string) => {
      if (died || this.closed) return;
      died = true;
      this.crashes++;
      const busy = slot.busy;
      slot.busy = undefined;
      busy?.reject(
        new InternalServeError(
          `the protocol worker handling this request stopped (${reason}); the request was not run, retry it`,
        ),
      );
      this.options.onCrash?.({ threadId, reason });
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots[index] = this.spawn();
      this.dispatch();
    };
    worker.on('error', (error) => die(error.message));
    worker.on('exit', (code) => die(`exit code ${code}`));
    return slot;
  }
}
