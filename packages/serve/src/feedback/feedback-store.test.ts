import { describe, expect, it } from 'vitest';
import { ServeError } from '../errors/serve-error.js';
import { HTTP_STATUS_OF_REASON } from '../http/http-status.js';
import { FeedbackStore, type ServedAnswers } from './feedback-store.js';

const answers = (samples: number, prediction = 0): ServedAnswers => ({
  prediction: new Int32Array(samples).fill(prediction),
  exit: new Int32Array(samples),
  confidence: new Float64Array(samples).fill(0.9),
  abstained: new Uint8Array(samples),
  epoch: 0,
});

describe('FeedbackStore', () => {
  it('never holds more than its capacity: the oldest requests expire, counted', () => {
    const expired: number[] = [];
    const store = new FeedbackStore(10, (samples) => expired.push(samples));
    store.record('a', answers(4));
    store.record('b', answers(4));
    store.record('c', answers(4));
    expect(store.size).toBe(8);
    expect(expired).toEqual([4]);
    expect(() => store.label('a', [0, 0, 0, 0], 10)).toThrow(/unknown or expired/);
    expect(store.label('b', [0, 1, 2, 3], 10).exit).toHaveLength(4);
  });

  it('does not count labelled requests as expired when they leave', () => {
    const expired: number[] = [];
    const store = new FeedbackStore(4, (samples) => expired.push(samples));
    store.record('a', answers(4));
    store.label('a', [1, 1, 1, 1], 10);
    store.record('b', answers(4));
    expect(expired).toEqual([]);
  });

  it('expires a request larger than the whole store at once', () => {
    const expired: number[] = [];
    const store = new FeedbackStore(3, (samples) => expired.push(samples));
    store.record('big', answers(5));
    expect(store.size).toBe(0);
    expect(expired).toEqual([5]);
  });

  it('replaces an earlier request with the same id', () => {
    const store = new FeedbackStore(10);
    store.record('a', answers(2, 1));
    store.record('a', answers(3, 2));
    expect(store.size).toBe(3);
    expect(Array.from(store.label('a', [0, 0, 0], 10).prediction)).toEqual([2, 2, 2]);
  });

  it.each([
    ['unknown id', 'x', [0, 0], 404, /unknown or expired/],
    ['too few labels', 'a', [0], 400, /had 2 samples but the feedback has 1 labels/],
    ['too many labels', 'a', [0, 0, 0], 400, /had 2 samples/],
    ['label out of range', 'a', [0, 10], 400, /label 1 is 10, not a class index in \[0, 9\]/],
    ['negative label', 'a', [-1, 0], 400, /label 0 is -1/],
    ['fractional label', 'a', [0.5, 0], 400, /label 0 is 0.5/],
  ])('%s → %i, and the state is unchanged', (_name, id, labels, status, message) => {
    const store = new FeedbackStore(10);
    store.record('a', answers(2));
    let caught: unknown;
    try {
      store.label(id, labels, 10);
    } catch (error) {
      caught = error;
    }
    // The store throws transport-free errors; the REST API answers them with this status.
    expect(caught).toBeInstanceOf(ServeError);
    expect(HTTP_STATUS_OF_REASON[(caught as ServeError).reason]).toBe(status);
    expect(caught).toMatchObject({ message: expect.stringMatching(message) });
    // Still labellable once: the failed call changed nothing.
    expect(store.label('a', [3, 4], 10).exit).toHaveLength(2);
  });

  it('answers 409 to feedback twice for one id', () => {
    const store = new FeedbackStore(10);
    store.record('a', answers(1));
    store.label('a', [0], 10);
    expect(() => store.label('a', [0], 10)).toThrow(expect.objectContaining({ reason: 'conflict' }));
    expect(HTTP_STATUS_OF_REASON.conflict).toBe(409);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses capacity %s', (capacity) => {
    expect(() => new FeedbackStore(capacity)).toThrow(/feedback capacity must be a positive integer/);
  });
});
