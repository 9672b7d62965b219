import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createTensor,
  type ModelManifest,
  parseManifest,
  readNpz,
  type Tensor,
  type TensorBinding,
} from '@pcee/core';
import { modelDir, testInputsPath } from '@pcee/models';
import { type FuseStage, fuseStages, type ModelProto, readModel, writeModel } from '@pcee/onnx';

/** A bundled model's manifest (version 2), as `parseManifest` reads it. */
export function bundledManifest(id: string): ModelManifest {
  const path = join(modelDir(id), 'model.json');
  return parseManifest(readFileSync(path, 'utf8'), path);
}

/**
 * A bundled model as one multi-exit ONNX: its shipped stages fused by their consumes/produces
 * bindings, with every exit's logits (`exit_0`, …) as outputs in order. What one
 * torch.onnx.export of the whole model with an output per exit gives.
 */
export function fusedBundledModel(id: string): ModelProto {
  const manifest = bundledManifest(id);
  const rename = (bindings: readonly TensorBinding[]) =>
    Object.fromEntries(bindings.map((binding) => [binding.onnxName, binding.name]));
  return fuseStages(
    manifest.stages.map(
      (stage): FuseStage => ({
        model: readModel(new Uint8Array(readFileSync(join(modelDir(id), stage.file)))),
        inputs: rename(stage.consumes),
        outputs: rename(stage.produces),
      }),
    ),
    { outputs: manifest.stages.map((stage) => stage.logits), name: id },
  );
}

/**
 * The version 1 package the project shipped as `fmnist-cnn-small` before the v2 zoo
 * (packages/onnx/fixtures/v1/README.md), for the tests of version 1 support.
 */
export const V1_FIXTURE = fileURLToPath(
  new URL('../../onnx/fixtures/v1/fmnist-cnn-small-v1/', import.meta.url),
);

/** Writes a model to `folder/name` and returns the path. */
export function writeOnnx(folder: string, name: string, model: ModelProto): string {
  const path = join(folder, name);
  writeFileSync(path, writeModel(model));
  return path;
}

/** The first `count` test images preprocessed as bundled model `id` expects: float32 [count, 1, 28, 28]. */
export function preprocessedImages(id: string, count: number): Tensor {
  const x = readNpz(new Uint8Array(readFileSync(testInputsPath()))).get('x')!;
  const { scale, mean, std } = bundledManifest(id).inputs[0]!.raw!.preprocessing;
  const data = new Float32Array(count * 784);
  for (let k = 0; k < data.length; k++) data[k] = (Number(x.data[k]) * scale - mean[0]!) / std[0]!;
  return createTensor('float32', [count, 1, 28, 28], data);
}

/** ONNX test models another tool put under packages/onnx/fixtures/ (PyTorch exports), if any. */
export function onnxFixtures(): string[] {
  const folder = new URL('../../onnx/fixtures/', import.meta.url);
  try {
    return readdirSync(folder)
      .filter((name) => name.endsWith('.onnx'))
      .map((name) => join(folder.pathname, name));
  } catch {
    return [];
  }
}
