import { crc32 } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import { nativeCrc32 } from './native-crc32.js';

describe('nativeCrc32', () => {
  // This project's Node (≥ 20.15) has zlib.crc32; the CLI must use it, and it must agree with core's.
  it.each([
    ['empty', new Uint8Array()],
    ['check string', new TextEncoder().encode('123456789')],
    ['1 MB of bytes', Uint8Array.from({ length: 1 << 20 }, (_, index) => (index * 2654435761) >>> 24)],
  ])('exists and equals the portable CRC-32 on %s', (_, bytes) => {
    expect(nativeCrc32).toBeTypeOf('function');
    expect(nativeCrc32!(bytes)).toBe(crc32(bytes));
  });
});
