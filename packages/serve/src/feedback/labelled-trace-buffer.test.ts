import { describe, expect, it } from 'vitest';
import { LabelledTraceBuffer } from './labelled-trace-buffer.js';

/** Sample `n`'s logits [exits = 2, classes = 2]: n, n + 0.25, n + 0.5, n + 0.75. */
const row = (n: number) => Float32Array.from([n, n + 0.25, n + 0.5, n + 0.75]);

describe('LabelledTraceBuffer', () => {
  it.each([
    ['under capacity', 3, [0, 1, 2]],
    ['exactly full', 4, [0, 1, 2, 3]],
    ['wrapped: the latest, oldest first', 7, [3, 4, 5, 6]],
  ])('%s', (_name, added, kept) => {
    const buffer = new LabelledTraceBuffer(4, 2, 2);
    for (let n = 0; n < added; n++) buffer.add(row(n), 0, n % 2);
    const traces = buffer.traces();
    expect(buffer.size).toBe(kept.length);
    expect(buffer.added).toBe(added);
    expect(traces).toMatchObject({ samples: kept.length, exits: 2, classes: 2 });
    expect(Array.from(traces.labels)).toEqual(kept.map((n) => n % 2));
    expect(Array.from(traces.logits)).toEqual(kept.flatMap((n) => Array.from(row(n))));
  });

  it('reads a sample from an offset in a request-wide trace, and forgets everything on clear', () => {
    const buffer = new LabelledTraceBuffer(2, 2, 2);
    const request = Float32Array.from([...row(10), ...row(20)]);
    buffer.add(request, 4, 1);
    expect(Array.from(buffer.traces().logits)).toEqual(Array.from(row(20)));
    buffer.clear();
    expect([buffer.size, buffer.added]).toEqual([0, 0]);
  });

  it('refuses a capacity below 2', () => {
    expect(() => new LabelledTraceBuffer(1, 2, 2)).toThrow(/integer ≥ 2, got 1/);
  });
});
