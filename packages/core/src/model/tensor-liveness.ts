import type { ModelManifest } from './model-manifest-types.js';

/**
 * Which tensors must be carried *into* each stage: `live[i]` lists the names, among model
 * inputs and tensors produced by stages before `i`, that stage `i` or a later stage
 * consumes. The runner keeps exactly these between stages, so a tensor produced by stage 0
 * and first consumed by stage 3 rides along through stages 1 and 2 (gathered only when the
 * batch is compacted) and is dropped once no later stage needs it.
 */
export function tensorLiveness(manifest: ModelManifest): readonly (readonly string[])[] {
  const stages = manifest.stages;
  // lastUse[name] = the last stage that consumes it.
  const lastUse = new Map<string, number>();
  stages.forEach((stage, index) => {
    for (const { name } of stage.consumes) lastUse.set(name, index);
  });
  const available: string[] = manifest.inputs.map((input) => input.name);
  return stages.map((stage, index) => {
    const live = available.filter((name) => (lastUse.get(name) ?? -1) >= index);
    for (const { name } of stage.produces) available.push(name);
    return live;
  });
}
