import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelId, listModels, modelDir, PLAIN_MODELS, plainModelPath, testInputsPath } from './index';
import { type ManifestV2, onnxName, readManifest, tensorName } from './test-helpers/manifest';
import { readNpz } from './test-helpers/npz';

const ids = listModels().map((model) => model.id);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
/** Samples of the test set run through ONNX Runtime (all 10k are covered by test.npz itself). */
const SAMPLES = 256;
const TOLERANCE = 1e-4;
const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/**
 * Final-exit test accuracy each shipped model keeps (a regression pin: a re-export must not
 * fall below it). The CNNs meet the targets of the issue that introduced them (large ≥ 0.925,
 * small ≥ 0.90). The ViTs miss theirs (large 0.92, small 0.90: reached 0.899 and 0.896, see the
 * README's results), so they are pinned at what they reach, not at the target.
 */
const ACCURACY_FLOOR: Record<string, number> = {
  'fmnist-cnn-small': 0.9,
  'fmnist-cnn-large': 0.925,
  'fmnist-vit-small': 0.895,
  'fmnist-vit-large': 0.895,
};

function finalAccuracy(id: string): number {
  const { logits, labels } = readNpz(join(modelDir(id), 'test.npz'));
  const [n, exits, classes] = logits.shape as [number, number, number];
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const offset = (i * exits + exits - 1) * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits.data[offset + c] > logits.data[offset + best]) best = c;
    if (best === labels.data[i]) correct++;
  }
  return correct / n;
}

/** The first `count` test images preprocessed as the manifest's `raw.preprocessing` says, in float32 like the exporter. */
function preprocessedImages(manifest: ManifestV2, count: number): ort.Tensor {
  const { scale, mean, std } = manifest.inputs[0]!.raw!.preprocessing;
  const { x } = readNpz(testInputsPath());
  const pixels = new Float32Array(count * 28 * 28);
  for (let i = 0; i < pixels.length; i++) {
    const scaled = Math.fround(x.data[i]! * Math.fround(scale));
    pixels[i] = Math.fround(Math.fround(scaled - Math.fround(mean[0]!)) / Math.fround(std[0]!));
  }
  return new ort.Tensor('float32', pixels, [count, 1, 28, 28]);
}

/** Total bytes of a file, or of every file under a folder. */
function sizeOf(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
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

  it('ships at most 40 MB (the files of package.json "files", models as resolved by modelDir)', () => {
    const packageRoot = fileURLToPath(new URL('..', import.meta.url));
    const { files } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
      files: string[];
    };
    for (const id of ids) expect(files).toContain(id);
    const paths = files.map((entry) => (ids.includes(entry) ? modelDir(entry) : join(packageRoot, entry)));
    const bytes = paths.filter((path) => existsSync(path)).reduce((sum, path) => sum + sizeOf(path), 0);
    expect(bytes).toBeLessThanOrEqual(40e6);
  });
});

describe.each(ids)('%s model.json', (id) => {
  const manifest = readManifest(id);
  const dir = modelDir(id);
  const last = manifest.stages.length - 1;

  it('is a complete pcee-model v2 manifest matching the package listing', () => {
    expect(manifest.format).toBe('pcee-model');
    expect(manifest.version).toBe(2);
    expect(manifest.id).toBe(id);
    expect(manifest.description).toBe(listModels().find((model) => model.id === id)?.description);
    expect(manifest.inputs).toEqual([
      {
        name: 'image',
        dtype: 'float32',
        shape: ['batch', 1, 28, 28],
        raw: { dtype: 'uint8', preprocessing: { scale: 1 / 255, mean: [0.286], std: [0.353] } },
      },
    ]);
    expect(manifest.classes).toEqual(FASHION_MNIST_CLASSES);
    expect(manifest.costUnit).toBe('flops');
    const files = manifest.stages.map((stage) => stage.file);
    expect(readdirSync(dir).sort()).toEqual(
      [...files, 'full.onnx', 'model.json', 'test.npz', 'val.npz'].sort(),
    );
  });

  it('has stages in order with matching sha256, bindings to earlier tensors and positive costs', () => {
    const available = new Set(manifest.inputs.map((input) => input.name));
    const described = new Set((manifest.tensors ?? []).map((tensor) => tensor.name));
    manifest.stages.forEach((stage, i) => {
      expect(stage.index).toBe(i);
      expect(stage.file).toBe(`stage-${i}.onnx`);
      expect(stage.sha256).toBe(sha256(join(dir, stage.file)));
      expect(stage.logits).toBe(`exit_${i}`);
      expect(stage.consumes.length).toBeGreaterThan(0);
      for (const binding of stage.consumes) expect(available).toContain(tensorName(binding));
      if (i === last) expect(stage.produces).toEqual([]);
      for (const binding of stage.produces) {
        expect(described).toContain(tensorName(binding));
        available.add(tensorName(binding));
      }
      expect(stage.flops.backbone).toBeGreaterThan(0);
      expect(stage.flops.head).toBeGreaterThan(0);
      expect(stage.parameters).toBeGreaterThan(0);
    });
    expect(manifest.full).toMatchObject({ file: 'full.onnx', inputs: ['image'], output: `exit_${last}` });
    expect(manifest.full.sha256).toBe(sha256(join(dir, manifest.full.file)));
    // Weights shared by several stages are counted once in the package total.
    const stageParameters = manifest.stages.reduce((sum, stage) => sum + stage.parameters, 0);
    expect(manifest.parameters).toBeLessThanOrEqual(stageParameters);
    expect(manifest.full.parameters).toBeLessThan(manifest.parameters);
  });

  it('describes every carried tensor: float32, batch first', () => {
    for (const tensor of manifest.tensors ?? []) {
      expect(tensor.dtype, tensor.name).toBe('float32');
      expect(tensor.shape[0], tensor.name).toBe('batch');
    }
  });

  it('has cumulative, increasing exit costs and a full-model cost below the last exit cost', () => {
    let running = 0;
    manifest.stages.forEach((stage, i) => {
      running += stage.flops.backbone + stage.flops.head;
      expect(manifest.exitCosts[i]).toBe(running);
      if (i > 0) expect(manifest.exitCosts[i]).toBeGreaterThan(manifest.exitCosts[i - 1]!);
    });
    expect(manifest.exitCosts).toHaveLength(manifest.stages.length);
    const backbone = manifest.stages.reduce((sum, stage) => sum + stage.flops.backbone, 0);
    expect(manifest.fullModelCost).toBe(backbone + manifest.stages[last]!.flops.head);
    expect(manifest.fullModelCost).toBeLessThan(manifest.exitCosts[last]!);
  });

  it('has heads that are cheap next to the backbone they sit on (< 25%)', () => {
    // Measured against the backbone up to the exit, not the stage's own slice: a thin stage
    // between two exits of a multi-scale CNN may cost less than the head that follows it.
    let backbone = 0;
    for (const stage of manifest.stages) {
      backbone += stage.flops.backbone;
      expect(stage.flops.head, `stage ${stage.index}`).toBeLessThan(0.25 * backbone);
    }
  });

  it.each(['val', 'test'])('has %s traces with one exit per stage', (split) => {
    const { logits, labels } = readNpz(join(dir, `${split}.npz`));
    expect(logits.dtype).toBe('<f4');
    expect(logits.shape).toEqual([10000, manifest.stages.length, 10]);
    expect(labels.dtype).toBe('<i8');
    expect(labels.shape).toEqual([10000]);
  });

  it(`keeps its final-exit test accuracy ≥ ${ACCURACY_FLOOR[id]}`, () => {
    expect(finalAccuracy(id)).toBeGreaterThanOrEqual(ACCURACY_FLOOR[id]!);
  });
});

describe('fmnist-cnn family', () => {
  const small = readManifest('fmnist-cnn-small');
  const large = readManifest('fmnist-cnn-large');

  it('has a large model with ≥ 6 exits costing 3–6× the small one', () => {
    expect(large.stages.length).toBeGreaterThanOrEqual(6);
    expect(large.fullModelCost).toBeGreaterThanOrEqual(3 * small.fullModelCost);
    expect(large.fullModelCost).toBeLessThanOrEqual(6 * small.fullModelCost);
  });

  it('has cheap early exits in the large model: the first ≤ 15% of the small full cost, ≥ 3 below it', () => {
    expect(large.exitCosts[0]).toBeLessThanOrEqual(0.15 * small.fullModelCost);
    expect(large.exitCosts.filter((cost) => cost < small.fullModelCost).length).toBeGreaterThanOrEqual(3);
  });

  it('has a large model more accurate than the small one', () => {
    expect(finalAccuracy(large.id)).toBeGreaterThan(finalAccuracy(small.id));
  });
});

describe('fmnist-vit family', () => {
  const small = readManifest('fmnist-vit-small');
  const large = readManifest('fmnist-vit-large');

  it('has an exit after every block (≥ 6 small, ≥ 12 large) and a large model costing 2.5–3.5× the small one', () => {
    expect(small.stages.length).toBeGreaterThanOrEqual(6);
    expect(large.stages.length).toBeGreaterThanOrEqual(12);
    expect(large.fullModelCost).toBeGreaterThanOrEqual(2.5 * small.fullModelCost);
    expect(large.fullModelCost).toBeLessThanOrEqual(3.5 * small.fullModelCost);
  });

  it('has a first large exit costing ≤ 35% of the small full cost', () => {
    expect(large.exitCosts[0]).toBeLessThanOrEqual(0.35 * small.fullModelCost);
  });

  it('has a large model more accurate than the small one', () => {
    expect(finalAccuracy(large.id)).toBeGreaterThan(finalAccuracy(small.id));
  });
});

describe('the zoo', () => {
  it('retrains in at most 150 minutes on 2 cores: two 1-thread lanes side by side (training.lane, training.wallTimeSeconds)', () => {
    const lanes = new Map<number, number>();
    for (const id of ids) {
      const { lane, wallTimeSeconds } = readManifest(id).training as {
        lane: number;
        wallTimeSeconds: number;
      };
      expect(wallTimeSeconds).toBeGreaterThan(0);
      expect([0, 1]).toContain(lane);
      lanes.set(lane, (lanes.get(lane) ?? 0) + wallTimeSeconds);
    }
    expect(Math.max(...lanes.values())).toBeLessThanOrEqual(150 * 60);
  });
});

describe.each(ids)('%s under onnxruntime-node', (id) => {
  const manifest = readManifest(id);
  const dir = modelDir(id);
  const exits = manifest.stages.length;
  let sessions: ort.InferenceSession[] = [];
  let full: ort.InferenceSession;
  let image: ort.Tensor;
  let reference: Float32Array;

  beforeAll(async () => {
    sessions = await Promise.all(
      manifest.stages.map((stage) => ort.InferenceSession.create(join(dir, stage.file))),
    );
    full = await ort.InferenceSession.create(join(dir, manifest.full.file));
    image = preprocessedImages(manifest, SAMPLES);
    reference = readNpz(join(dir, 'test.npz')).logits.data as Float32Array;
  });

  afterAll(async () => {
    await Promise.all([...sessions, full].map((session) => session?.release()));
  });

  /** max |logits − test.npz logits of `exit`| over the first SAMPLES samples. */
  const worstError = (logits: Float32Array, exit: number) => {
    let worst = 0;
    for (let n = 0; n < SAMPLES; n++)
      for (let c = 0; c < 10; c++)
        worst = Math.max(worst, Math.abs(logits[n * 10 + c]! - reference[(n * exits + exit) * 10 + c]!));
    return worst;
  };

  it('chains its stages by their bindings to reproduce the test.npz logits of every exit, and full.onnx the last', async () => {
    // Every tensor by its package name: the model input, then what each stage produces.
    const pool = new Map<string, ort.Tensor>([['image', image]]);
    let lastLogits: Float32Array = new Float32Array(0);
    for (const [l, stage] of manifest.stages.entries()) {
      const feeds = Object.fromEntries(
        stage.consumes.map((binding) => [onnxName(binding), pool.get(tensorName(binding))!]),
      );
      const outputs = await sessions[l]!.run(feeds);
      for (const binding of stage.produces) pool.set(tensorName(binding), outputs[onnxName(binding)]!);
      expect(outputs[stage.logits]!.dims).toEqual([SAMPLES, 10]);
      lastLogits = outputs[stage.logits]!.data as Float32Array;
      expect(worstError(lastLogits, l), `exit ${l}`).toBeLessThanOrEqual(TOLERANCE);
    }
    const fullOutputs = await full.run({ [manifest.full.inputs[0]!]: image });
    const fullLogits = fullOutputs[manifest.full.output]!.data as Float32Array;
    let worst = 0;
    for (let k = 0; k < fullLogits.length; k++)
      worst = Math.max(worst, Math.abs(fullLogits[k]! - lastLogits[k]!));
    expect(worst, 'full.onnx').toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('plain models (no exits, for pcee attach)', () => {
  it.each(PLAIN_MODELS)('%s ships as one small ONNX file with its results', (id) => {
    const path = plainModelPath(id);
    expect(statSync(path).size).toBeLessThan(3_000_000);
    const results = JSON.parse(readFileSync(join(dirname(path), 'results.json'), 'utf8'));
    expect(results[id].testAccuracy).toBeGreaterThan(0.8);
  });
});
