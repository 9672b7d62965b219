import { describe, expect, it } from 'vitest';
import { PceeError } from '../errors/index.js';
import { parsePythonLiteral } from './python-literal.js';

describe('parsePythonLiteral', () => {
  it.each([
    [
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
      { descr: '<f4', fortran_order: false, shape: [2, 3] },
    ],
    [
      '{"descr": "|u1", "fortran_order": True, "shape": (7,)}',
      { descr: '|u1', fortran_order: true, shape: [7] },
    ],
    [
      "{'descr': '<i8', 'fortran_order': False, 'shape': ()}",
      { descr: '<i8', fortran_order: false, shape: [] },
    ],
    ["{'shape': (3L, 4L), 'x': None, 'y': [1, -2]}", { shape: [3, 4], x: null, y: [1, -2] }],
    ["{'s': 'it\\'s'}", { s: "it's" }],
  ])('parses %s', (text, expected) => {
    const parsed = parsePythonLiteral(text);
    const plain = JSON.parse(
      JSON.stringify(parsed, (_, value) => (value instanceof Map ? Object.fromEntries(value) : value)),
    );
    expect(plain).toEqual(expected);
  });

  it.each([
    '',
    '{',
    "{'descr' '<f4'}",
    "{'descr': '<f4'",
    "{'a': 1} extra",
    "{'a': __import__('os')}",
    '{1: 2}',
    "{'a': 'unterminated}",
    "{'a': (1, 2}",
  ])('rejects %j with a PceeError', (text) => {
    expect(() => parsePythonLiteral(text)).toThrow(PceeError);
  });
});
