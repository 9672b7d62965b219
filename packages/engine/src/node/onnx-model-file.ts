import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { externalDataReferences, inlineExternalData, type ModelProto, readModel } from '@pcee/onnx';

/**
 * Decodes an ONNX file's bytes, with any external-data weights (torch.onnx.export writes them
 * beside models over 2 GiB) loaded from the model's folder, so what is split, inspected or
 * given exits is self-contained. A location that leaves the model's folder counts as missing.
 *
 * @param path where `bytes` were read: its folder holds the external data, its name is the
 *   model's name in messages.
 * @throws InvalidFileError for bytes that are not an ONNX model, or external data that is missing.
 */
export function readOnnxModel(bytes: Uint8Array, path: string): ModelProto {
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
  return model;
}
