import { describe, expect, it } from 'vitest';
import { InvalidManifestError } from '../errors/index.js';
import { MANIFEST_VERSION, parseManifest } from './model-manifest.js';
import { tensorLiveness } from './tensor-liveness.js';

const hash = (digit: string) => digit.repeat(64);

/** A BERT-like v2 manifest: two int64 inputs, the mask carried to every stage, hidden states chained. */
function bertManifest(overrides: Record<string, unknown> = {}) {
  return {
    format: 'pcee-model',
    version: 2,
    id: 'tiny-bert',
    inputs: [
      { name: 'input_ids', dtype: 'int64', shape: ['batch', 'sequence'] },
      { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'sequence'] },
    ],
    classes: ['negative', 'positive'],
    stages: [
      {
        index: 0,
        file: 'stage-0.onnx',
        sha256: hash('a'),
        consumes: ['input_ids', 'attention_mask'],
        produces: ['hidden_1', { name: 'mask_bias', onnxName: 'extended_mask' }],
        logits: 'exit_0',
        flops: { backbone: 100, head: 4 },
        parameters: 10,
      },
      {
        index: 1,
        file: 'stage-1.onnx',
        sha256: hash('b'),
        consumes: ['hidden_1', 'mask_bias'],
        produces: ['hidden_2'],
        logits: 'exit_1',
        flops: { backbone: 100, head: 4 },
        parameters: 10,
      },
      {
        index: 2,
        file: 'stage-2.onnx',
        sha256: hash('c'),
        consumes: ['hidden_2', 'mask_bias'],
        logits: 'exit_2',
        flops: { backbone: 100, head: 4 },
        parameters: 10,
      },
    ],
    exitCosts: [104, 208, 312],
    fullModelCost: 304,
    costUnit: 'flops',
    full: { file: 'full.onnx', sha256: hash('d'), output: 'exit_2', parameters: 26 },
    parameters: 30,
    ...overrides,
  };
}

const v1Manifest = {
  format: 'pcee-model',
  version: 1,
  id: 'cnn',
  input: {
    name: 'image',
    shape: [-1, 1, 28, 28],
    dtype: 'float32',
    rawDtype: 'uint8',
    preprocessing: { scale: 1 / 255, mean: [0.5], std: [0.25] },
  },
  classes: ['a', 'b'],
  stages: [0, 1].map((index) => ({
    index,
    file: `stage-${index}.onnx`,
    sha256: hash(String(index)),
    input: index === 0 ? 'image' : 'features',
    outputs: index === 0 ? { features: 'features_out', logits: 'logits' } : { logits: 'logits' },
    flops: { backbone: 10, head: 1 },
    parameters: 5,
  })),
  exitCosts: [11, 22],
  fullModelCost: 21,
  costUnit: 'flops',
  full: { file: 'full.onnx', sha256: hash('f'), input: 'image', output: 'logits', parameters: 9 },
  parameters: 10,
};

describe('parseManifest: version 2', () => {
  it('normalises tensor names to bindings and gives the full model every input by default', () => {
    const manifest = parseManifest(JSON.stringify(bertManifest()));
    expect(manifest.version).toBe(MANIFEST_VERSION);
    expect(manifest.stages[0]!.consumes).toEqual([
      { name: 'input_ids', onnxName: 'input_ids' },
      { name: 'attention_mask', onnxName: 'attention_mask' },
    ]);
    expect(manifest.stages[0]!.produces[1]).toEqual({ name: 'mask_bias', onnxName: 'extended_mask' });
    expect(manifest.stages[2]!.produces).toEqual([]);
    expect(manifest.full!.inputs.map((input) => input.name)).toEqual(['input_ids', 'attention_mask']);
  });

  it('carries a tensor only while a later stage consumes it', () => {
    const live = tensorLiveness(parseManifest(JSON.stringify(bertManifest())));
    expect(live).toEqual([
      ['input_ids', 'attention_mask'],
      ['hidden_1', 'mask_bias'],
      ['mask_bias', 'hidden_2'],
    ]);
  });

  it('carries a tensor of stage 0 first consumed by stage 2 through stage 1', () => {
    const manifest = bertManifest();
    manifest.stages[1]!.consumes = ['hidden_1'];
    const live = tensorLiveness(parseManifest(JSON.stringify(manifest)));
    expect(live[1]).toEqual(['hidden_1', 'mask_bias']);
    expect(live[2]).toEqual(['mask_bias', 'hidden_2']);
  });

  it.each([
    [
      'a stage consuming a tensor nobody produces',
      (m: ReturnType<typeof bertManifest>) => {
        m.stages[1]!.consumes = ['hidden_9'];
      },
      /stage 1 consumes "hidden_9", which is neither a model input nor produced by an earlier stage \(model inputs: input_ids, attention_mask\)/,
    ],
    [
      'a stage consuming what a later stage produces',
      (m: ReturnType<typeof bertManifest>) => {
        m.stages[0]!.consumes = ['input_ids', 'hidden_2'];
      },
      /stage 0 consumes "hidden_2", which stage 1 produces only later/,
    ],
    [
      'two producers of one tensor',
      (m: ReturnType<typeof bertManifest>) => {
        m.stages[1]!.produces = ['hidden_1'];
      },
      /stage 1 produces "hidden_1", already produced by stage 0; give every tensor one producer/,
    ],
    [
      'an unknown dtype',
      (m: ReturnType<typeof bertManifest>) => {
        (m.inputs[0] as { dtype: string }).dtype = 'complex64';
      },
      /inputs\[0\]\.dtype/,
    ],
    [
      'stages out of order',
      (m: ReturnType<typeof bertManifest>) => {
        m.stages[1]!.index = 5;
      },
      /stages\[1\] has index 5; list stages in order/,
    ],
  ])('refuses %s, naming it', (_, damage, message) => {
    const manifest = bertManifest();
    damage(manifest);
    expect(() => parseManifest(JSON.stringify(manifest), 'model.json')).toThrow(InvalidManifestError);
    expect(() => parseManifest(JSON.stringify(manifest), 'model.json')).toThrow(message);
  });

  it('refuses an unknown version, naming the ones it reads', () => {
    expect(() => parseManifest(JSON.stringify(bertManifest({ version: 3 })))).toThrow(
      /manifest version 3; this version of PCEE reads versions 1 and 2/,
    );
  });
});

describe('parseManifest: version 1', () => {
  it('converts to the v2 shape: features become features@i bound to their ONNX names', () => {
    const manifest = parseManifest(JSON.stringify(v1Manifest));
    expect(manifest.inputs).toEqual([
      {
        name: 'image',
        dtype: 'float32',
        shape: ['batch', 1, 28, 28],
        raw: { dtype: 'uint8', preprocessing: v1Manifest.input.preprocessing },
      },
    ]);
    expect(manifest.stages[0]!.produces).toEqual([{ name: 'features@1', onnxName: 'features_out' }]);
    expect(manifest.stages[1]!.consumes).toEqual([{ name: 'features@1', onnxName: 'features' }]);
    expect(manifest.stages[1]!.logits).toBe('logits');
    expect(manifest.full!.inputs).toEqual([{ name: 'image', onnxName: 'image' }]);
    expect(tensorLiveness(manifest)).toEqual([['image'], ['features@1']]);
  });

  it('refuses a stage without the features the next stage needs', () => {
    const broken = structuredClone(v1Manifest);
    broken.stages[0]!.outputs = { logits: 'logits' } as never;
    expect(() => parseManifest(JSON.stringify(broken))).toThrow(
      /stage 1 consumes "features@1", which is neither/,
    );
  });
});
