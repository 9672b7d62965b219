import { InvalidManifestError, type ModelPackage, parseManifest } from '@pcee/core';
import { manifestDigests, verifiedFile } from './verified-file.js';

/** File contents: raw bytes, or text for `model.json`. */
export type PackageFileContents = ArrayBuffer | ArrayBufferView | string;

/**
 * A model package from files already in memory (downloaded, picked by the user, read from a
 * cache or the file system), keyed by file name: `model.json` plus the files it lists. Each
 * file is checked against the manifest's sha256 when the runtime reads it.
 *
 * @param location names the package in messages (default `"in-memory package"`).
 * @throws InvalidManifestError when `model.json` is missing or malformed.
 */
export function modelPackageFromFiles(
  files: Readonly<Record<string, PackageFileContents>> | ReadonlyMap<string, PackageFileContents>,
  location = 'in-memory package',
): ModelPackage {
  const byName = new Map<string, PackageFileContents>(files instanceof Map ? files : Object.entries(files));
  const manifestFile = byName.get('model.json');
  if (manifestFile === undefined) {
    const names = [...byName.keys()].join(', ') || 'none';
    throw new InvalidManifestError(
      `${location} has no model.json (files: ${names}); pass model.json with the stage .onnx files`,
    );
  }
  const text =
    typeof manifestFile === 'string' ? manifestFile : new TextDecoder().decode(asBytes(manifestFile));
  const manifest = parseManifest(text, `${location}/model.json`);
  const digests = manifestDigests(manifest);
  return {
    manifest,
    location,
    async readFile(name: string) {
      const contents = byName.get(name);
      if (contents === undefined) {
        throw new InvalidManifestError(
          `${location} lacks ${name}, listed in model.json of model "${manifest.id}"; pass it with the other files`,
        );
      }
      const bytes = typeof contents === 'string' ? new TextEncoder().encode(contents) : asBytes(contents);
      return verifiedFile(manifest, digests, name, `${location}/${name}`, bytes);
    },
  };
}

function asBytes(contents: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(contents)
    ? new Uint8Array(contents.buffer, contents.byteOffset, contents.byteLength)
    : new Uint8Array(contents);
}
