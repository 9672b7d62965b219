import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { externalDataReferences, inlineExternalData, type ModelProto, readModel } from '@pcee/onnx';
import { readInputFile } from '../files.js';

/**
 * Reads an ONNX file, with any external-data weights (torch.onnx.export writes them beside
 * models over 2 GiB) loaded from the model's folder, so what is split is self-contained.
 * A location that leaves the model's folder counts as missing.
 */
export async function readOnnxFile(path: string): Promise<{ model: ModelProto; bytes: Uint8Array }> {
  const bytes = await readInputFile(path, 'ONNX model');
  const name = basename(path);
  const model = readModel(bytes, name);
  if (externalDataReferences(model).length > 0) {
    const folder = resolve(dirname(path));
    inlineExternalData(
      model,
      (location) => {
        const target = resolve(folder, location);
        const inside = !isAbsolute(location) && !relative(folder, target).startsWith('..');
        if (!inside || !existsSync(target) || !statSync(target).isFile()) return undefined;
        const file = readFileSync(target);
        return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
      },
      name,
    );
  }
  return { model, bytes };
}
