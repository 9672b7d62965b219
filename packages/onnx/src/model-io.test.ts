import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidFileError } from '@pcee/core';
import { modelDir, testInputsPath } from '@pcee/models';
import { describe, expect, it } from 'vitest';
import { readModel, writeModel } from './index.js';

describe('readModel / writeModel', () => {
  it('reads a real export and writes it back to a model that decodes the same', () => {
    const bytes = new Uint8Array(readFileSync(join(modelDir('fmnist-cnn-small'), 'stage-0.onnx')));
    const model = readModel(bytes, 'stage-0.onnx');
    expect(model.opsetImport.map((opset) => opset.version)).toEqual([17n]);
    expect(model.graph!.input.map((input) => input.name)).toEqual(['image']);
    const again = readModel(writeModel(model));
    expect(again.graph!.node.map((node) => node.opType)).toEqual(
      model.graph!.node.map((node) => node.opType),
    );
    expect(again.graph!.initializer.map((tensor) => tensor.rawData.byteLength)).toEqual(
      model.graph!.initializer.map((tensor) => tensor.rawData.byteLength),
    );
  });

  it('keeps raw weight bytes as views into the file, without copying them', () => {
    const bytes = new Uint8Array(readFileSync(join(modelDir('fmnist-cnn-large'), 'full.onnx')));
    const largest = readModel(bytes)
      .graph!.initializer.map((tensor) => tensor.rawData)
      .sort((a, b) => b.byteLength - a.byteLength)[0]!;
    expect(largest.byteLength).toBeGreaterThan(10_000);
    expect(largest.buffer).toBe(bytes.buffer);
  });

  it.each([
    ['an empty file', new Uint8Array(0)],
    ['JSON', new TextEncoder().encode('{"format": "pcee-model", "version": 2}')],
    ['plain text', new TextEncoder().encode('hello, this is not a model\n')],
    ['an .npz (zip) file', new Uint8Array(readFileSync(testInputsPath())).subarray(0, 4096)],
    ['random bytes', Uint8Array.from({ length: 512 }, (_, k) => (k * 7919 + 13) % 251)],
  ])('rejects %s as not ONNX, naming the file and how to export one', (_, bytes) => {
    expect(() => readModel(bytes, 'thing.onnx')).toThrow(InvalidFileError);
    expect(() => readModel(bytes, 'thing.onnx')).toThrow(
      /^thing\.onnx is not an ONNX model .*torch\.onnx\.export/,
    );
  });
});
