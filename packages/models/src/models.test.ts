import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelId, listModels, modelDir, testInputsPath } from './index';
import { readNpz } from './test-helpers/npz';

/** The parts of model.json the tests read (the full type lives in @pcee/core). */
interface Manifest {
  format: string;
  version: number;
  id: string;
  description: string;
  input: {
    name: string;
    shape: number[];
    dtype: string;
    rawDtype: string;
    preprocessing: { scale: number; mean: number[]; std: number[] };
  };
  classes: string[];
  stages: {
    index: number;
    file: string;
    sha256: string;
    input: string;
    outputs: { features?: string; logits: string };
    flops: { backbone: number; head: number };
    parameters: number;
  }[];
  exitCosts: number[];
  fullModelCost: number;
  costUnit: string;
  full: { file: string; sha256: string; input: string; output: string; parameters: number };
  parameters: number;
  training: Record<string, unknown>;
}

const ids = listModels().map((model) => model.id);
const readManifest = (id: string): Manifest =>
  JSON.parse(readFileSync(join(modelDir(id), 'model.json'), 'utf8'));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
/** Samples of the test set run through ONNX Runtime (all 10k are covered by test.npz itself). */
const SAMPLES = 256;
const TOLERANCE = 1e-4;

/** Final-exit test accuracy each model must reach. */
const ACCURACY_TARGET: Record<string, number> = {
  'fmnist-cnn-small': 0.88,
  'fmnist-cnn-large': 0.915,
  'fmnist-vit-small': 0.88,
  'fmnist-vit-large': 0.915,
};

function finalAccuracy(id: string): number {
  const { logits, labels } = readNpz(join(modelDir(id), 'test.npz'));
  const [n, exits, classes] = logits.shape;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const offset = (i * exits + exits - 1) * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits.data[offset + c] > logits.data[offset + best]) best = c;
    if (best === labels.data[i]) correct++;
  }
  return correct / n;
}

describe('package API', () => {
  it('lists the four models with descriptions and resolves their folders', () => {
    expect(ids).toEqual(['fmnist-cnn-small', 'fmnist-cnn-large', 'fmnist-vit-small', 'fmnist-vit-large']);
    expect(ids).toContain(defaultModelId);
    for (const id of ids) expect(existsSync(join(modelDir(id), 'model.json'))).toBe(true);
    expect(existsSync(testInputsPath())).toBe(true);
  });

  it('rejects an unknown id, naming it and the known ones', () => {
    expect(() => modelDir('fmnist-mlp')).toThrow(/"fmnist-mlp".*fmnist-cnn-small.*fmnist-vit-large/);
  });

  it('ships the raw test set: x uint8 [10000,28,28], labels int64 [10000]', () => {
    const { x, labels } = readNpz(testInputsPath());
    expect(x.dtype).toBe('|u1');
    expect(x.shape).toEqual([10000, 28, 28]);
    expect(labels.dtype).toBe('<i8');
    expect(labels.shape).toEqual([10000]);
  });
});

describe.each(ids)('%s model.json', (id) => {
  const manifest = readManifest(id);
  const dir = modelDir(id);

  it('is a complete pcee-model v1 manifest matching the package listing', () => {
    expect(manifest.format).toBe('pcee-model');
    expect(manifest.version).toBe(1);
    expect(manifest.id).toBe(id);
    expect(manifest.description).toBe(listModels().find((model) => model.id === id)?.description);
    expect(manifest.input).toEqual({
      name: 'image',
      shape: [-1, 1, 28, 28],
      dtype: 'float32',
      rawDtype: 'uint8',
      preprocessing: { scale: 1 / 255, mean: [0.286], std: [0.353] },
    });
    expect(manifest.classes).toHaveLength(10);
    expect(manifest.costUnit).toBe('flops');
    const files = manifest.stages.map((stage) => stage.file);
    expect(readdirSync(dir).sort()).toEqual(
      [...files, 'full.onnx', 'model.json', 'test.npz', 'val.npz'].sort(),
    );
  });

  it('has stages in order with matching sha256, names and positive costs', () => {
    manifest.stages.forEach((stage, i) => {
      const last = i === manifest.stages.length - 1;
      expect(stage.index).toBe(i);
      expect(stage.file).toBe(`stage-${i}.onnx`);
      expect(stage.sha256).toBe(sha256(join(dir, stage.file)));
      expect(stage.input).toBe(i === 0 ? 'image' : 'features');
      expect(stage.outputs.logits).toBe('logits');
      if (!last) expect(stage.outputs.features).toBe('features_out');
      else expect(stage.outputs.features).toBeUndefined();
      expect(stage.flops.backbone).toBeGreaterThan(0);
      expect(stage.flops.head).toBeGreaterThan(0);
      // Heads are cheap next to a block: that is what makes an early exit pay.
      expect(stage.flops.head).toBeLessThan(0.05 * stage.flops.backbone);
      expect(stage.parameters).toBeGreaterThan(0);
    });
    expect(manifest.full.sha256).toBe(sha256(join(dir, manifest.full.file)));
    expect(manifest.full.input).toBe('image');
    expect(manifest.full.output).toBe('logits');
    expect(manifest.parameters).toBe(manifest.stages.reduce((sum, stage) => sum + stage.parameters, 0));
    expect(manifest.full.parameters).toBeLessThan(manifest.parameters);
  });

  it('has cumulative, increasing exit costs and a full-model cost below the last exit cost', () => {
    let running = 0;
    manifest.stages.forEach((stage, i) => {
      running += stage.flops.backbone + stage.flops.head;
      expect(manifest.exitCosts[i]).toBe(running);
      if (i > 0) expect(manifest.exitCosts[i]).toBeGreaterThan(manifest.exitCosts[i - 1]);
    });
    const backbone = manifest.stages.reduce((sum, stage) => sum + stage.flops.backbone, 0);
    expect(manifest.fullModelCost).toBe(backbone + manifest.stages[manifest.stages.length - 1].flops.head);
    expect(manifest.fullModelCost).toBeLessThan(manifest.exitCosts[manifest.exitCosts.length - 1]);
  });

  it.each(['val', 'test'])('has %s traces with one exit per stage', (split) => {
    const { logits, labels } = readNpz(join(dir, `${split}.npz`));
    expect(logits.dtype).toBe('<f4');
    expect(logits.shape).toEqual([10000, manifest.stages.length, 10]);
    expect(labels.dtype).toBe('<i8');
    expect(labels.shape).toEqual([10000]);
  });

  it(`meets its final-exit test accuracy target ${ACCURACY_TARGET[id]}`, () => {
    expect(finalAccuracy(id)).toBeGreaterThanOrEqual(ACCURACY_TARGET[id]);
  });
});

describe.each([
  ['cnn', 4, 6],
  ['vit', 4, 8],
])('fmnist-%s family', (family, smallExits, largeExits) => {
  const small = readManifest(`fmnist-${family}-small`);
  const large = readManifest(`fmnist-${family}-large`);

  it('has enough exits and a large model at least 3x the small one', () => {
    expect(small.stages.length).toBeGreaterThanOrEqual(smallExits);
    expect(large.stages.length).toBeGreaterThanOrEqual(largeExits);
    expect(large.fullModelCost).toBeGreaterThanOrEqual(3 * small.fullModelCost);
  });

  it('has a large model more accurate than the small one', () => {
    expect(finalAccuracy(large.id)).toBeGreaterThan(finalAccuracy(small.id));
  });
});

describe('the zoo', () => {
  it('trained in at most 90 minutes in all (sum of each model.json training.wallTimeSeconds)', () => {
    const seconds = ids.map((id) => Number(readManifest(id).training.wallTimeSeconds));
    expect(seconds.every((value) => value > 0)).toBe(true);
    expect(seconds.reduce((sum, value) => sum + value, 0)).toBeLessThanOrEqual(90 * 60);
  });
});

describe.each(ids)('%s under onnxruntime-node', (id) => {
  const manifest = readManifest(id);
  const dir = modelDir(id);
  let sessions: ort.InferenceSession[] = [];
  let full: ort.InferenceSession;
  let image: ort.Tensor;
  let reference: Float32Array;
  const exits = manifest.stages.length;

  beforeAll(async () => {
    sessions = await Promise.all(
      manifest.stages.map((stage) => ort.InferenceSession.create(join(dir, stage.file))),
    );
    full = await ort.InferenceSession.create(join(dir, manifest.full.file));
    // Preprocess exactly as model.json says, in float32 like the exporter did.
    const { x } = readNpz(testInputsPath());
    const { scale, mean, std } = manifest.input.preprocessing;
    const pixels = new Float32Array(SAMPLES * 28 * 28);
    for (let i = 0; i < pixels.length; i++) {
      const scaled = Math.fround(x.data[i] * Math.fround(scale));
      pixels[i] = Math.fround(Math.fround(scaled - Math.fround(mean[0])) / Math.fround(std[0]));
    }
    image = new ort.Tensor('float32', pixels, [SAMPLES, 1, 28, 28]);
    reference = readNpz(join(dir, 'test.npz')).logits.data as Float32Array;
  });

  afterAll(async () => {
    await Promise.all([...sessions, full].map((session) => session?.release()));
  });

  it('chains its stages to reproduce the test.npz logits of every exit', async () => {
    let input = image;
    let last: Float32Array | undefined;
    for (let l = 0; l < exits; l++) {
      const stage = manifest.stages[l];
      const outputs = await sessions[l].run({ [stage.input]: input });
      const logits = outputs[stage.outputs.logits].data as Float32Array;
      expect(outputs[stage.outputs.logits].dims).toEqual([SAMPLES, 10]);
      let worst = 0;
      for (let n = 0; n < SAMPLES; n++)
        for (let c = 0; c < 10; c++)
          worst = Math.max(worst, Math.abs(logits[n * 10 + c] - reference[(n * exits + l) * 10 + c]));
      expect(worst, `exit ${l}`).toBeLessThanOrEqual(TOLERANCE);
      if (stage.outputs.features !== undefined) input = outputs[stage.outputs.features];
      last = logits;
    }
    const fullLogits = (await full.run({ [manifest.full.input]: image }))[manifest.full.output]
      .data as Float32Array;
    let worst = 0;
    for (let i = 0; i < fullLogits.length; i++)
      worst = Math.max(worst, Math.abs(fullLogits[i] - (last as Float32Array)[i]));
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });
});
