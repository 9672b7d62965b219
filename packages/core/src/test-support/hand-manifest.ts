import type { ModelManifest } from '../model/index.js';
import { parseManifest } from '../model/index.js';

/**
 * A version-2 model manifest written by hand for tests of code that walks stages: every stage
 * costs 10 backbone and 1 head FLOPs and has one parameter; file names and hashes are made up.
 */
export function handManifest(
  id: string,
  inputs: readonly {
    readonly name: string;
    readonly dtype: string;
    readonly shape: readonly (string | number)[];
  }[],
  classes: readonly string[],
  stages: readonly { readonly consumes: readonly string[]; readonly produces?: readonly string[] }[],
): ModelManifest {
  return parseManifest(
    JSON.stringify({
      format: 'pcee-model',
      version: 2,
      id,
      inputs,
      classes,
      stages: stages.map((stage, index) => ({
        index,
        file: `stage-${index}.onnx`,
        sha256: String(index).repeat(64),
        logits: `exit_${index}`,
        flops: { backbone: 10, head: 1 },
        parameters: 1,
        ...stage,
      })),
      exitCosts: stages.map((_, index) => 11 * (index + 1)),
      fullModelCost: 10 * stages.length + 1,
      costUnit: 'flops',
      parameters: stages.length,
    }),
  );
}
