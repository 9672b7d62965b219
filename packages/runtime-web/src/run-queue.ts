/**
 * Runs tasks one at a time, in call order. onnxruntime-web has one WebAssembly instance per
 * page; with WebGPU (asyncify) a run suspends inside it, and entering it again while
 * suspended corrupts its stack. So every session of one onnxruntime-web module shares a
 * queue; concurrent callers still get their own results, just not overlapped.
 */
export class RunQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const queues = new WeakMap<object, RunQueue>();

/** The queue shared by every session of one onnxruntime-web module. */
export function queueFor(ort: object): RunQueue {
  let queue = queues.get(ort);
  if (!queue) {
    queue = new RunQueue();
    queues.set(ort, queue);
  }
  return queue;
}
