import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createTensor,
  type ModelManifest,
  type ModelPackage,
  parseManifest,
  readNpz,
  type Tensor,
} from '@pcee/core';
import { modelDir, testInputsPath } from '@pcee/models';
import { type FuseStage, fuseStages, type ModelProto, readModel } from '../index.js';

/**
 * The version 1 package the project shipped as `fmnist-cnn-small` before the v2 zoo (see
 * fixtures/v1/README.md): stage i reads `features` and writes `features_out` and `logits`.
 */
export const V1_FIXTURE = fileURLToPath(new URL('../../fixtures/v1/fmnist-cnn-small-v1/', import.meta.url));

/** A model package read from a folder, as a runtime gets it (v1 manifests converted to v2). */
export function folderPackage(folder: string): ModelPackage {
  return {
    manifest: parseManifest(readFileSync(join(folder, 'model.json'), 'utf8'), join(folder, 'model.json')),
    location: folder,
    readFile: async (name) => new Uint8Array(readFileSync(join(folder, name))),
  };
}

/** A bundled (version 2) model package, from `@pcee/models` (or `PCEE_MODELS_DIR`). */
export function bundledPackage(id: string): ModelPackage {
  return folderPackage(modelDir(id));
}

/** The v1 fixture's manifest (converted to v2 in memory) and the bytes of its stages and full model. */
export function readV1Fixture(): { manifest: ModelManifest; stages: Uint8Array[]; full: Uint8Array } {
  const { manifest } = folderPackage(V1_FIXTURE);
  const read = (name: string) => new Uint8Array(readFileSync(join(V1_FIXTURE, name)));
  return {
    manifest,
    stages: manifest.stages.map((stage) => read(stage.file)),
    full: read(manifest.full!.file),
  };
}

/**
 * One multi-exit ONNX built from the v1 fixture's separately exported stages: stage i's
 * `features_out` becomes `features_<i+1>`, its logits `exit_<i>`; the graph outputs are the
 * exits in order. Every v1 stage has the same graph names, so this is where fuseStages renames.
 */
export function fuseV1Fixture(): ModelProto {
  const { manifest, stages } = readV1Fixture();
  const last = stages.length - 1;
  return fuseStages(
    stages.map(
      (bytes, i): FuseStage => ({
        model: readModel(bytes, manifest.stages[i]!.file),
        inputs: i === 0 ? {} : { features: `features_${i}` },
        outputs:
          i === last ? { logits: `exit_${i}` } : { features_out: `features_${i + 1}`, logits: `exit_${i}` },
      }),
    ),
    { outputs: stages.map((_, i) => `exit_${i}`), name: manifest.id },
  );
}

/**
 * One multi-exit ONNX built from a bundled (v2) model's shipped stages, joined by their
 * consumes/produces bindings; the graph outputs are every exit's logits in order. This is
 * what exporting the whole PyTorch model once, with one output per exit, gives.
 */
export function fuseBundled(id: string): ModelProto {
  const { manifest } = bundledPackage(id);
  const rename = (bindings: ModelManifest['stages'][number]['consumes']) =>
    Object.fromEntries(bindings.map((binding) => [binding.onnxName, binding.name]));
  return fuseStages(
    manifest.stages.map(
      (stage): FuseStage => ({
        model: readModel(new Uint8Array(readFileSync(join(modelDir(id), stage.file))), stage.file),
        inputs: rename(stage.consumes),
        outputs: rename(stage.produces),
      }),
    ),
    { outputs: manifest.stages.map((stage) => stage.logits), name: id },
  );
}

/** The first `count` Fashion-MNIST test images, preprocessed as `manifest`'s image input says. */
export function testImages(manifest: ModelManifest, count: number): Tensor {
  const x = readNpz(new Uint8Array(readFileSync(testInputsPath()))).get('x')!;
  const { scale, mean, std } = manifest.inputs[0]!.raw!.preprocessing;
  const data = new Float32Array(count * 784);
  for (let k = 0; k < data.length; k++) data[k] = (Number(x.data[k]) * scale - mean[0]!) / std[0]!;
  return createTensor('float32', [count, 1, 28, 28], data);
}
