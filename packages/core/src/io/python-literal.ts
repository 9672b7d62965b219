import { InvalidFileError } from '../errors/index.js';

/**
 * A value of the Python literal subset found in `.npy` headers: strings, integers, booleans,
 * `None`, tuples and lists (both as arrays) and dicts with string keys (as `Map`).
 */
export type PythonLiteral = string | number | boolean | null | PythonLiteral[] | Map<string, PythonLiteral>;

/**
 * Parses a Python literal such as `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`
 * without evaluating anything. Accepts trailing commas, both quote styles with backslash
 * escapes, and the `L` suffix that Python 2 wrote after long integers.
 *
 * @throws InvalidFileError naming the position and what was expected
 */
export function parsePythonLiteral(text: string): PythonLiteral {
  let position = 0;

  const fail = (expected: string): never => {
    const found = position < text.length ? JSON.stringify(text.slice(position, position + 12)) : 'the end';
    throw new InvalidFileError(
      `cannot parse header ${JSON.stringify(text.slice(0, 200))}: expected ${expected} at character ${position}, found ${found}`,
    );
  };

  const skipSpace = (): void => {
    while (position < text.length && /\s/.test(text[position]!)) position++;
  };

  const parseString = (): string => {
    const quote = text[position]!;
    position++;
    let value = '';
    while (position < text.length && text[position] !== quote) {
      if (text[position] === '\\') {
        const escaped = text[position + 1];
        const simple: Record<string, string> = {
          n: '\n',
          t: '\t',
          r: '\r',
          '\\': '\\',
          "'": "'",
          '"': '"',
          '0': '\0',
        };
        if (escaped === undefined || simple[escaped] === undefined) fail('a known string escape');
        value += simple[escaped!];
        position += 2;
      } else {
        value += text[position];
        position++;
      }
    }
    if (position >= text.length) fail(`closing quote ${quote}`);
    position++;
    return value;
  };

  const parseSequence = (close: string): PythonLiteral[] => {
    const items: PythonLiteral[] = [];
    for (;;) {
      skipSpace();
      if (text[position] === close) {
        position++;
        return items;
      }
      items.push(parseValue());
      skipSpace();
      if (text[position] === ',') position++;
      else if (text[position] !== close) fail(`',' or '${close}'`);
    }
  };

  const parseDict = (): Map<string, PythonLiteral> => {
    const entries = new Map<string, PythonLiteral>();
    for (;;) {
      skipSpace();
      if (text[position] === '}') {
        position++;
        return entries;
      }
      const key = parseValue();
      if (typeof key !== 'string') fail('a string key');
      skipSpace();
      if (text[position] !== ':') fail("':'");
      position++;
      entries.set(key as string, parseValue());
      skipSpace();
      if (text[position] === ',') position++;
      else if (text[position] !== '}') fail("',' or '}'");
    }
  };

  const parseValue = (): PythonLiteral => {
    skipSpace();
    const character = text[position];
    if (character === "'" || character === '"') return parseString();
    if (character === '{') {
      position++;
      return parseDict();
    }
    if (character === '(') {
      position++;
      return parseSequence(')');
    }
    if (character === '[') {
      position++;
      return parseSequence(']');
    }
    const word = /^(True|False|None|[-+]?\d+L?)/.exec(text.slice(position, position + 40));
    if (word === null) return fail('a value');
    position += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number.parseInt(word[0], 10);
  };

  const value = parseValue();
  skipSpace();
  if (position !== text.length) fail('the end of the header');
  return value;
}
