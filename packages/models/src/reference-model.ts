import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTensor,
  type ModelPackage,
  preprocessInput,
  readNpz,
  readTraces,
  type StageTensor,
  type Tensor,
  type Traces,
} from '@pcee/core';
import { modelDir, testInputsPath } from './model-paths.js';

/**
 * A bundled model opened by a runtime, with the data tests and benchmarks run it on: the one
 * set of reference-model helpers every runtime's tests share (each runtime only says how it
 * opens a package: from a folder, or from bytes in memory as a browser holds them).
 */
export interface ReferenceModel {
  readonly model: ModelPackage;
  /** The first `samples` test images, preprocessed as the model's manifest says. */
  readonly inputs: StageTensor;
  /** The package's test traces (same order as the test images). */
  readonly testTraces: Traces;
  /** The package's validation traces, for calibration. */
  readonly validationTraces: Traces;
}

/** The first `samples` raw Fashion-MNIST test images (`x`, uint8 [samples, 28, 28]) and labels. */
export function referenceImages(samples: number): { x: Tensor; labels: Tensor } {
  const tensors = readNpz(new Uint8Array(readFileSync(testInputsPath())));
  const x = tensors.get('x')!;
  const labels = tensors.get('labels')!;
  if (!(Number.isInteger(samples) && samples >= 1 && samples <= x.shape[0]!)) {
    throw new RangeError(`samples must be an integer in [1, ${x.shape[0]}], got ${samples}`);
  }
  const perSample = x.data.length / x.shape[0]!;
  return {
    x: createTensor(x.dtype, [samples, ...x.shape.slice(1)], x.data.subarray(0, samples * perSample)),
    labels: createTensor(labels.dtype, [samples], labels.data.subarray(0, samples)),
  };
}

/** A bundled model's shipped traces: `test.npz` and `val.npz`. */
export function referenceTraces(id: string): { test: Traces; validation: Traces } {
  const read = (name: string) => readTraces(new Uint8Array(readFileSync(join(modelDir(id), name))), name);
  return { test: read('test.npz'), validation: read('val.npz') };
}

/**
 * Opens bundled model `id` through `open` (a runtime's own way to open a package folder) with
 * its first `samples` preprocessed test images and its traces.
 */
export async function loadReferenceModel(
  id: string,
  open: (folder: string) => ModelPackage | Promise<ModelPackage>,
  samples = 128,
): Promise<ReferenceModel> {
  const model = await open(modelDir(id));
  const inputs = preprocessInput(model.manifest.inputs[0]!, referenceImages(samples).x);
  const { test, validation } = referenceTraces(id);
  return { model, inputs, testTraces: test, validationTraces: validation };
}
