import { createTensor, InvalidFileError } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import {
  externalDataReferences,
  inlineExternalData,
  type ModelProto,
  moveToExternalData,
  readModel,
  writeModel,
} from './index.js';
import { runModel } from './test-support/ort.js';
import { mlpChain } from './testing/test-models.js';

/** The MLP with every weight moved to one external file, as torch.onnx.export does for models over 2 GiB. */
function externalized(): { model: ModelProto; file: Uint8Array } {
  const model = readModel(writeModel(mlpChain()));
  const file = moveToExternalData(model, 'weights.bin', 0);
  return { model: readModel(writeModel(model)), file };
}

describe('external data', () => {
  it('lists where each external weight lives', () => {
    const { model } = externalized();
    const references = externalDataReferences(model);
    expect(references.length).toBe(model.graph!.initializer.length);
    expect(references.slice(0, 2)).toEqual([
      { tensor: 'w0', location: 'weights.bin', offset: 0, length: 256 },
      { tensor: 'w3', location: 'weights.bin', offset: 4096, length: 32 },
    ]);
  });

  it('inlines the weights so the model runs self-contained, with the same outputs', async () => {
    const { model, file } = externalized();
    inlineExternalData(model, (location) => (location === 'weights.bin' ? file : undefined));
    expect(externalDataReferences(model)).toEqual([]);
    const x = createTensor(
      'float32',
      [2, 8],
      Float32Array.from({ length: 16 }, (_, k) => k / 16),
    );
    const [ours, reference] = await Promise.all([runModel(model, { x }), runModel(mlpChain(), { x })]);
    expect(ours.get('exit_2')!.data).toEqual(reference.get('exit_2')!.data);
  });

  it.each([
    [
      'a missing file',
      () => undefined,
      /keeps weight "w0" in the external data file "weights\.bin", which was not found; keep that file beside model\.onnx/,
    ],
    [
      'a truncated file',
      () => new Uint8Array(100),
      /"weights\.bin" has 100 bytes but weight "w0" needs bytes 0\.\.256/,
    ],
  ])('rejects %s with the file name and the fix', (_, readFile, message) => {
    const { model } = externalized();
    expect(() => inlineExternalData(model, readFile, 'model.onnx')).toThrow(InvalidFileError);
    expect(() => inlineExternalData(externalized().model, readFile, 'model.onnx')).toThrow(message);
  });
});
