import { crc32, tracesContentHash } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import { syntheticTraces } from '../test-support/run-cli.js';
import { nativeCrc32, nativeSha256 } from './native-hashes.js';

const cases = [
  ['empty', new Uint8Array()],
  ['check string', new TextEncoder().encode('123456789')],
  ['1 MB of bytes', Uint8Array.from({ length: 1 << 20 }, (_, index) => (index * 2654435761) >>> 24)],
] as const;

describe('native hashes', () => {
  // This project's Node (≥ 20.15) has zlib.crc32; the CLI must use it, and it must agree with core's.
  it.each(cases)('nativeCrc32 exists and equals the portable CRC-32 on %s', (_, bytes) => {
    expect(nativeCrc32).toBeTypeOf('function');
    expect(nativeCrc32!(bytes)).toBe(crc32(bytes));
  });

  it('nativeSha256 gives the standard digest', () => {
    const hex = Buffer.from(nativeSha256(new TextEncoder().encode('abc'))).toString('hex');
    expect(hex).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  // A profile's content hash must not depend on which SHA-256 computed it.
  it('gives the same traces content hash as the portable SHA-256', () => {
    const traces = syntheticTraces(300, 3, 4, 9);
    expect(tracesContentHash(traces, nativeSha256)).toBe(tracesContentHash(traces));
  });
});
