import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTensor, readNpz, type Tensor } from '@pcee/core';
import { modelDir, testInputsPath } from '@pcee/models';
import { writeTensorsFile } from './run-cli.js';

/** The first `samples` raw test images (`x` uint8) and their labels (int64). */
export function referenceInputs(samples: number): { x: Tensor; labels: Tensor } {
  const tensors = readNpz(new Uint8Array(readFileSync(testInputsPath())));
  const x = tensors.get('x')!;
  const labels = tensors.get('labels')!;
  const perSample = x.data.length / x.shape[0]!;
  return {
    x: createTensor('uint8', [samples, ...x.shape.slice(1)], x.data.slice(0, samples * perSample)),
    labels: createTensor(labels.dtype, [samples], labels.data.slice(0, samples)),
  };
}

/** Writes the first `samples` test inputs (with labels unless `withLabels` is false) as an .npz. */
export function writeReferenceInputs(
  folder: string,
  name: string,
  samples: number,
  withLabels = true,
): string {
  const { x, labels } = referenceInputs(samples);
  return writeTensorsFile(folder, name, withLabels ? { x, labels } : { x });
}

/** Copies a reference model package (manifest and ONNX files) into `target`, to damage it. */
export function copyModelPackage(id: string, target: string): string {
  const source = modelDir(id);
  for (const name of readdirSync(source)) {
    if (name === 'model.json' || name.endsWith('.onnx')) copyFileSync(join(source, name), join(target, name));
  }
  return target;
}
