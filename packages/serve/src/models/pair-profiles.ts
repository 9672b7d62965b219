import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, parseManifest } from '@pcee/core';
import type { ModelSource } from './load-served-model.js';
import type { ProfileFile } from './profile-file.js';

/**
 * Matches model folders with profile files: by the model id each profile records, else (one
 * model, one profile; or profiles without ids) by position. Each model gets exactly one
 * profile; `loadServedModel` then checks exits, classes and weights.
 *
 * @throws InvalidArgumentError naming the model left without a profile, or the profile left over.
 */
export async function pairProfiles(
  dirs: readonly string[],
  profiles: readonly ProfileFile[],
): Promise<ModelSource[]> {
  const ids = await Promise.all(dirs.map(readModelId));
  const unused = new Set(profiles);
  const pairs = ids.map((id, index) => {
    const byId = profiles.filter((file) => file.profile.model.id === id);
    if (byId.length > 1) {
      throw new InvalidArgumentError(
        `${byId.length} profiles are for model "${id}" (${byId.map((file) => file.path).join(', ')}); give one per model`,
      );
    }
    const positional = profiles.length === dirs.length ? profiles[index] : undefined;
    const file = byId[0] ?? (positional?.profile.model.id === null ? positional : undefined);
    return { id, dir: dirs[index]!, file };
  });
  for (const pair of pairs) if (pair.file) unused.delete(pair.file);
  const missing = pairs.find((pair) => !pair.file);
  if (missing) {
    const left = [...unused].map(
      (file) => `${file.path} (for ${file.profile.model.id ?? 'an unnamed model'})`,
    );
    throw new InvalidArgumentError(
      `no profile for model "${missing.id}" (${missing.dir})${left.length > 0 ? `; unmatched: ${left.join(', ')}` : ''}; give one --profile per model, calibrated with pcee calibrate --model ${missing.dir}`,
    );
  }
  if (unused.size > 0) {
    const extra = [...unused][0]!;
    throw new InvalidArgumentError(
      `profile ${extra.path} is for "${extra.profile.model.id ?? 'an unnamed model'}", which is not among the models served (${ids.join(', ')}); drop it or add its model folder`,
    );
  }
  return pairs.map((pair) => ({ dir: pair.dir, profile: pair.file!.profile }));
}

async function readModelId(dir: string): Promise<string> {
  const path = join(dir, 'model.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InvalidArgumentError(
      `${dir} is not a model package (no readable model.json); give a folder made by pcee split or an export`,
    );
  }
  return parseManifest(text, path).id;
}
