import { assertDigestMatches, type ModelManifest } from '@pcee/core';
import { digestHex } from './sha256.js';

/** File name → expected sha256 for every file the manifest lists (stages and `full.onnx`). */
export function manifestDigests(manifest: ModelManifest): Map<string, string> {
  return new Map<string, string>([
    ...manifest.stages.map((stage) => [stage.file, stage.sha256] as const),
    ...(manifest.full ? [[manifest.full.file, manifest.full.sha256] as const] : []),
  ]);
}

/**
 * Checks `bytes` of package file `name` against the sha256 in the manifest (files it does not
 * list, such as traces, pass unchecked) and returns them.
 *
 * @param where names the file in messages (its URL or `name`).
 * @throws InvalidManifestError on a mismatch.
 */
export async function verifiedFile(
  manifest: ModelManifest,
  digests: Map<string, string>,
  name: string,
  where: string,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  const expected = digests.get(name);
  if (expected) assertDigestMatches(manifest, where, await digestHex(bytes), expected);
  return bytes;
}
