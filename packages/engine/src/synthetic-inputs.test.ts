import type { ModelManifest } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import { syntheticInputs } from './synthetic-inputs.js';

/** Only the fields syntheticInputs reads. */
const manifestWith = (inputs: unknown[]) => ({ id: 'm', inputs }) as unknown as ModelManifest;

describe('syntheticInputs (what --cost-unit ms times the model on)', () => {
  it('makes every model input at the batch size: floats in [−1, 1), integers and bools 0', () => {
    const inputs = syntheticInputs(
      manifestWith([
        { name: 'image', dtype: 'float32', shape: ['batch', 1, 2, 2] },
        { name: 'input_ids', dtype: 'int64', shape: [-1, 3] },
        { name: 'mask', dtype: 'bool', shape: ['batch', 3] },
        { name: 'half', dtype: 'float16', shape: ['batch', 2] },
      ]),
      5,
    );
    expect(Object.keys(inputs)).toEqual(['image', 'input_ids', 'mask', 'half']);
    expect(inputs.image!.shape).toEqual([5, 1, 2, 2]);
    const image = inputs.image!.data as Float32Array;
    expect(image).toBeInstanceOf(Float32Array);
    expect(Math.min(...image)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...image)).toBeLessThan(1);
    expect(new Set(image).size).toBeGreaterThan(10);
    expect(inputs.input_ids!.data).toEqual(new BigInt64Array(15));
    expect(inputs.mask!.data).toEqual(new Uint8Array(15));
    expect(inputs.half!.data).toBeInstanceOf(Uint16Array);
    expect(inputs.half!.shape).toEqual([5, 2]);
  });

  it('is the same every time (deterministic)', () => {
    const manifest = manifestWith([{ name: 'x', dtype: 'float32', shape: [-1, 8] }]);
    expect(syntheticInputs(manifest, 4)).toEqual(syntheticInputs(manifest, 4));
  });

  it('refuses an input with a free dimension besides the batch, naming it', () => {
    const manifest = manifestWith([{ name: 'input_ids', dtype: 'int64', shape: ['batch', 'sequence'] }]);
    expect(() => syntheticInputs(manifest, 4)).toThrow(
      /input "input_ids" of model "m" has shape \[batch, sequence\]; measuring costs needs every dimension but the batch fixed/,
    );
  });
});
