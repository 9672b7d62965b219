import { describe, expect, it } from 'vitest';
import { PceeError } from '../errors/index.js';
import { parseDeltaList } from './delta-list.js';

describe('δ lists', () => {
  it.each([
    ['0.9', [0.9]],
    ['0.8,0.9', [0.8, 0.9]],
    [' 0.8 , 1 ', [0.8, 1]],
    ['0.1:0.3:0.1', [0.1, 0.2, 0.3]],
    ['0.5:0.99:0.01', Array.from({ length: 50 }, (_, i) => Number((0.5 + i * 0.01).toFixed(2)))],
    ['0:1:0.25', [0, 0.25, 0.5, 0.75, 1]],
    ['0.9:0.9:0.1', [0.9]],
  ])('parses "%s" (inclusive, no drift)', (text, expected) => {
    expect(parseDeltaList(text)).toEqual(expected);
  });

  it('has no float drift in long ranges', () => {
    expect(parseDeltaList('0:1:0.001')).toContain(0.3);
    expect(parseDeltaList('0:1:0.001')).toHaveLength(1001);
  });

  it.each([
    ['abc', /"abc" is not a number/],
    ['1.5', /\[0, 1\].*1\.5/],
    ['-0.1', /\[0, 1\]/],
    ['0.9,', /"" is not a number/],
    ['0.1:0.5', /start:stop:step/],
    ['0.1:0.5:0', /step "0" must be a positive/],
    ['0.5:0.1:0.1', /stops \(0.1\) before it starts/],
    ['0:1:0.000001', /at most/],
  ])('rejects "%s" clearly', (text, message) => {
    expect(() => parseDeltaList(text)).toThrow(PceeError);
    expect(() => parseDeltaList(text)).toThrow(message);
  });
});
