import { describe, expect, it } from 'vitest';
import { InvalidManifestError } from '../errors/index.js';
import { parseManifest } from './model-manifest.js';
import { serializeManifest } from './serialize-manifest.js';

/** A small valid version-2 manifest, as a writer would build it. */
function builtManifest(): Record<string, unknown> {
  return {
    format: 'pcee-model',
    version: 2,
    id: 'tiny',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 4] }],
    classes: ['a', 'b'],
    stages: [0, 1].map((index) => ({
      index,
      file: `stage-${index}.onnx`,
      sha256: String(index).repeat(64),
      consumes: index === 0 ? ['x'] : ['h0'],
      produces: index === 0 ? ['h0'] : [],
      logits: `exit_${index}`,
      flops: { backbone: 10, head: 1 },
      parameters: 1,
    })),
    tensors: [{ name: 'h0', dtype: 'float32', shape: ['batch', 4] }],
    exitCosts: [11, 22],
    fullModelCost: 21,
    costUnit: 'flops',
    parameters: 2,
  };
}

describe('serializeManifest', () => {
  it('writes two-space JSON with a final newline that parseManifest reads back', () => {
    const manifest = builtManifest();
    const text = serializeManifest(manifest);
    expect(text).toBe(`${JSON.stringify(manifest, null, 2)}\n`);
    expect(parseManifest(text).id).toBe(manifest.id);
  });

  it('refuses a manifest the reader would refuse, naming the field', () => {
    const manifest = { ...builtManifest(), classes: 'ten' };
    expect(() => serializeManifest(manifest, 'out/model.json')).toThrow(InvalidManifestError);
    expect(() => serializeManifest(manifest, 'out/model.json')).toThrow(/out\/model\.json.*classes/);
  });
});
