import { sha256Hex } from '@pcee/core';

/**
 * Lower-case hex sha256 of `bytes`. Uses Web Crypto (native, fast: ~1 GB/s) where the page
 * has it (secure contexts: https, localhost, 127.0.0.1; Node ≥ 20), else core's pure-JS hash.
 */
export async function digestHex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return sha256Hex(bytes);
  // Web Crypto refuses views of a SharedArrayBuffer; copy those into a plain buffer.
  const plain = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice();
  const digest = new Uint8Array(await subtle.digest('SHA-256', plain));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
