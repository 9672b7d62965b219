import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadReferenceModel as loadBundled, type ReferenceModel } from '@pcee/models';
import { modelPackageFromFiles } from '../model-package-bytes.js';

export type { ReferenceModel };

/** Every file of a package folder, read into memory (how a browser app would hold it after download). */
export async function readPackageFiles(folder: string): Promise<Map<string, Uint8Array>> {
  const names = await readdir(folder);
  const entries = await Promise.all(
    names.map(async (name) => [name, new Uint8Array(await readFile(join(folder, name)))] as const),
  );
  return new Map(entries);
}

/** Opens reference model `id` from in-memory files (as a browser app holds them after download). */
export function loadReferenceModel(id: string, samples = 128): Promise<ReferenceModel> {
  return loadBundled(
    id,
    async (folder) => modelPackageFromFiles(await readPackageFiles(folder), folder),
    samples,
  );
}
