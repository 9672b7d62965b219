import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { modelDir, referenceImages } from '@pcee/models';
import { writeTensorsFile } from './run-cli.js';

/** The first `samples` raw test images (`x` uint8) and their labels (int64). */
export const referenceInputs = referenceImages;

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
