import type { PendingRequest } from './pending-request.js';

/** Consecutive samples of one request waiting at one stage, with what that stage needs for them. */
export interface Chunk<Carried> {
  readonly request: PendingRequest;
  /** Index within the request of each row of `carried`. */
  readonly samples: Int32Array;
  readonly carried: Carried;
  /** When the chunk joined this stage's queue, ms (the scheduler's clock). */
  readonly enqueuedAt: number;
}

/**
 * One stage's FIFO of chunks. Counts rows, so "the queue reached max batch" is O(1); a
 * chunk of a request that has already failed (timed out) is dropped when it reaches the head.
 */
export class StageQueue<Carried> {
  private chunks: Chunk<Carried>[] = [];
  private head = 0;
  /** Rows in the queue, including those of requests that have already failed. */
  rows = 0;

  constructor(
    private readonly rowsOf: (chunk: Chunk<Carried>) => number,
    /** Called with every chunk dropped because its request had settled. */
    private readonly onDrop: (chunk: Chunk<Carried>) => void,
  ) {}

  push(chunk: Chunk<Carried>): void {
    this.chunks.push(chunk);
    this.rows += this.rowsOf(chunk);
  }

  /** The oldest live chunk's arrival, or undefined when the queue holds none. */
  oldest(): number | undefined {
    this.dropSettledHead();
    return this.head < this.chunks.length ? this.chunks[this.head]!.enqueuedAt : undefined;
  }

  /**
   * Takes up to `maxRows` rows from the head, whole chunks first; the last chunk is split
   * with `split` when it does not fit (its rest stays at the head, keeping its arrival time).
   * Stops at a chunk whose `key` differs from the first one's.
   */
  take(
    maxRows: number,
    key: (chunk: Chunk<Carried>) => string,
    split: (chunk: Chunk<Carried>, rows: number) => [Chunk<Carried>, Chunk<Carried>],
  ): Chunk<Carried>[] {
    const taken: Chunk<Carried>[] = [];
    let rows = 0;
    let firstKey: string | undefined;
    while (rows < maxRows) {
      this.dropSettledHead();
      if (this.head >= this.chunks.length) break;
      const chunk = this.chunks[this.head]!;
      const chunkKey = key(chunk);
      if (firstKey === undefined) firstKey = chunkKey;
      else if (chunkKey !== firstKey) break;
      const chunkRows = this.rowsOf(chunk);
      if (rows + chunkRows <= maxRows) {
        taken.push(chunk);
        this.advance();
        this.rows -= chunkRows;
        rows += chunkRows;
      } else {
        const [first, rest] = split(chunk, maxRows - rows);
        taken.push(first);
        this.chunks[this.head] = rest;
        this.rows -= maxRows - rows;
        rows = maxRows;
      }
    }
    return taken;
  }

  /** Drops every chunk of a settled request, wherever it is in the queue. */
  purgeSettled(): void {
    const live: Chunk<Carried>[] = [];
    for (let index = this.head; index < this.chunks.length; index++) {
      const chunk = this.chunks[index]!;
      if (!chunk.request.settled) {
        live.push(chunk);
        continue;
      }
      this.rows -= this.rowsOf(chunk);
      this.onDrop(chunk);
    }
    this.chunks = live;
    this.head = 0;
  }

  /** Drops every chunk (their requests are failed by the caller). */
  clear(): Chunk<Carried>[] {
    const all = this.chunks.slice(this.head);
    this.chunks = [];
    this.head = 0;
    this.rows = 0;
    return all;
  }

  private dropSettledHead(): void {
    while (this.head < this.chunks.length && this.chunks[this.head]!.request.settled) {
      const chunk = this.chunks[this.head]!;
      this.advance();
      this.rows -= this.rowsOf(chunk);
      this.onDrop(chunk);
    }
  }

  private advance(): void {
    this.chunks[this.head] = undefined as never;
    this.head++;
    // Compact now and then so a long-running queue does not keep a growing array of holes.
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
