import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTensor, readNpz, type Tensor } from '@pcee/core';
import { modelDir, testInputsPath } from '@pcee/models';
import { type FuseStage, fuseStages, type ModelProto, readModel } from '../index.js';

/** The parts of a bundled v1 manifest these tests read. */
export interface BundledManifest {
  readonly id: string;
  readonly input: { readonly preprocessing: { scale: number; mean: number[]; std: number[] } };
  readonly stages: readonly {
    readonly file: string;
    readonly flops: { readonly backbone: number; readonly head: number };
    readonly parameters: number;
  }[];
  readonly exitCosts: readonly number[];
  readonly fullModelCost: number;
  readonly full: { readonly file: string; readonly parameters: number };
}

/** A bundled model's manifest and stage bytes. */
export function readBundled(id: string): {
  manifest: BundledManifest;
  stages: Uint8Array[];
  full: Uint8Array;
} {
  const folder = modelDir(id);
  const manifest = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as BundledManifest;
  return {
    manifest,
    stages: manifest.stages.map((stage) => new Uint8Array(readFileSync(join(folder, stage.file)))),
    full: new Uint8Array(readFileSync(join(folder, manifest.full.file))),
  };
}

/**
 * One multi-exit ONNX built from a bundled model's shipped stages (v1: stage i reads
 * `features`, writes `features_out` and `logits`): stage i's `features_out` becomes
 * `features_<i+1>`, its logits `exit_<i>`; the graph outputs are the exits in order. This is
 * what exporting the whole PyTorch model once, with one output per exit, gives.
 */
export function fuseBundled(id: string): ModelProto {
  const { manifest, stages } = readBundled(id);
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
    { outputs: stages.map((_, i) => `exit_${i}`), name: id },
  );
}

/** The first `count` Fashion-MNIST test images, preprocessed as the bundled models expect. */
export function bundledTestImages(id: string, count: number): Tensor {
  const x = readNpz(new Uint8Array(readFileSync(testInputsPath()))).get('x')!;
  const { scale, mean, std } = readBundled(id).manifest.input.preprocessing;
  const data = new Float32Array(count * 784);
  for (let k = 0; k < data.length; k++) data[k] = (Number(x.data[k]) * scale - mean[0]!) / std[0]!;
  return createTensor('float32', [count, 1, 28, 28], data);
}
