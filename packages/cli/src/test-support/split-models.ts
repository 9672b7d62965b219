import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTensor, readNpz, type Tensor } from '@pcee/core';
import { modelDir, testInputsPath } from '@pcee/models';
import { type FuseStage, fuseStages, type ModelProto, readModel, writeModel } from '@pcee/onnx';

/** The parts of a bundled v1 manifest the split tests compare against. */
export interface BundledManifest {
  readonly input: { readonly preprocessing: { scale: number; mean: number[]; std: number[] } };
  readonly stages: readonly { readonly file: string; readonly flops: { backbone: number; head: number } }[];
  readonly exitCosts: readonly number[];
  readonly fullModelCost: number;
}

/** A bundled model's v1 manifest. */
export function bundledManifest(id: string): BundledManifest {
  return JSON.parse(readFileSync(join(modelDir(id), 'model.json'), 'utf8'));
}

/**
 * A bundled model as one multi-exit ONNX (its shipped stages fused: outputs `exit_0`, …),
 * what one torch.onnx.export of the whole model with an output per exit gives.
 */
export function fusedBundledModel(id: string): ModelProto {
  const manifest = bundledManifest(id);
  const last = manifest.stages.length - 1;
  return fuseStages(
    manifest.stages.map(
      (stage, i): FuseStage => ({
        model: readModel(new Uint8Array(readFileSync(join(modelDir(id), stage.file)))),
        inputs: i === 0 ? {} : { features: `features_${i}` },
        outputs:
          i === last ? { logits: `exit_${i}` } : { features_out: `features_${i + 1}`, logits: `exit_${i}` },
      }),
    ),
    { outputs: manifest.stages.map((_, i) => `exit_${i}`), name: id },
  );
}

/** Writes a model to `folder/name` and returns the path. */
export function writeOnnx(folder: string, name: string, model: ModelProto): string {
  const path = join(folder, name);
  writeFileSync(path, writeModel(model));
  return path;
}

/** The first `count` test images preprocessed as bundled model `id` expects: float32 [count, 1, 28, 28]. */
export function preprocessedImages(id: string, count: number): Tensor {
  const x = readNpz(new Uint8Array(readFileSync(testInputsPath()))).get('x')!;
  const { scale, mean, std } = bundledManifest(id).input.preprocessing;
  const data = new Float32Array(count * 784);
  for (let k = 0; k < data.length; k++) data[k] = (Number(x.data[k]) * scale - mean[0]!) / std[0]!;
  return createTensor('float32', [count, 1, 28, 28], data);
}

/** ONNX test models another tool put under packages/onnx/fixtures/ (PyTorch exports), if any. */
export function onnxFixtures(): string[] {
  const folder = new URL('../../../onnx/fixtures/', import.meta.url);
  try {
    return readdirSync(folder)
      .filter((name) => name.endsWith('.onnx'))
      .map((name) => join(folder.pathname, name));
  } catch {
    return [];
  }
}
