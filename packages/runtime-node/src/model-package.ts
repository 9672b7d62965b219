import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { assertDigestMatches, InvalidManifestError, type ModelPackage, parseManifest } from '@pcee/core';

/**
 * Opens a model package folder: reads and validates `model.json` and checks every file it
 * lists against its sha256 at once, so a wrong hash is reported where the manifest is read
 * (naming the file), not later as "the model changed since calibration". `readFile` checks
 * again, as a file may change after opening.
 *
 * @throws InvalidManifestError when the folder or its manifest is missing or malformed, or a
 *   listed file is missing or does not match its sha256.
 */
export async function openModelPackage(folder: string): Promise<ModelPackage> {
  const location = resolve(folder);
  const manifestPath = join(location, 'model.json');
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'ENOTDIR'
          ? 'is not inside a folder'
          : `cannot be read (${code})`;
    throw new InvalidManifestError(
      `${manifestPath} ${why}; a model package is a folder with model.json and its stage .onnx files`,
    );
  }
  const manifest = parseManifest(text, manifestPath);
  const digests = new Map<string, string>([
    ...manifest.stages.map((stage) => [stage.file, stage.sha256] as const),
    ...(manifest.full ? [[manifest.full.file, manifest.full.sha256] as const] : []),
  ]);
  const modelPackage: ModelPackage = {
    manifest,
    location,
    async readFile(name: string) {
      const path = join(location, name);
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (error) {
        throw new InvalidManifestError(
          `${path} listed in model.json cannot be read (${(error as NodeJS.ErrnoException).code}); restore the file or re-export the model`,
        );
      }
      const expected = digests.get(name);
      if (expected)
        assertDigestMatches(manifest, path, createHash('sha256').update(bytes).digest('hex'), expected);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
  };
  await Promise.all([...digests.keys()].map((name) => modelPackage.readFile(name)));
  return modelPackage;
}
