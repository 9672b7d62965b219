import { describe, expect, it } from 'vitest';
import { type Corruption, corruptImages, corruptionName, SHIFT_CORRUPTIONS } from './corruptions.js';

/** Two 4×4 images: a left-to-right ramp and a checkerboard of 0 and 200. */
const ramp = Uint8Array.from({ length: 16 }, (_, index) => (index % 4) * 60);
const checker = Uint8Array.from({ length: 16 }, (_, index) => (((index >> 2) + index) % 2 === 0 ? 200 : 0));
const images = Uint8Array.from([...ramp, ...checker]);
const size = { height: 4, width: 4 };

describe('corruptImages', () => {
  it.each<[string, Corruption, number[]]>([
    // Contrast 0.5 pulls the ramp (mean 90) halfway to its mean.
    ['contrast', { kind: 'contrast', severity: 0.5 }, [45, 75, 105, 135]],
    // A 3×3 box on a ramp with clamped edges: (0+0+60)/3, (0+60+120)/3, …
    ['box-blur', { kind: 'box-blur', severity: 1 }, [20, 60, 120, 160]],
    // 2×2 blocks of the ramp: the means of (0, 60) and (120, 180).
    ['pixelate', { kind: 'pixelate', severity: 2 }, [30, 30, 150, 150]],
  ])('%s (golden values of the first row)', (_name, corruption, firstRow) => {
    expect(Array.from(corruptImages(images, corruption, size).subarray(0, 4))).toEqual(firstRow);
  });

  it('keeps the checkerboard mean under pixelation and turns it flat grey', () => {
    const out = corruptImages(images, { kind: 'pixelate', severity: 2 }, size).subarray(16);
    expect(new Set(out)).toEqual(new Set([100]));
  });

  it('adds zero-mean noise of the asked σ, reproducibly from its seed', () => {
    const flat = new Uint8Array(28 * 28 * 50).fill(128);
    const noisy = corruptImages(flat, { kind: 'gaussian-noise', severity: 20 });
    const values = Array.from(noisy, (value) => value - 128);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const sd = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean)).toBeLessThan(0.3);
    expect(sd).toBeGreaterThan(19.5);
    expect(sd).toBeLessThan(20.5);
    expect(corruptImages(flat, { kind: 'gaussian-noise', severity: 20 })).toEqual(noisy);
    expect(corruptImages(flat, { kind: 'gaussian-noise', severity: 20 }, undefined, 2)).not.toEqual(noisy);
  });

  it('leaves its input as it was', () => {
    const copy = images.slice();
    for (const corruption of SHIFT_CORRUPTIONS) corruptImages(images, corruption, size);
    expect(images).toEqual(copy);
  });

  it.each<[string, () => unknown, RegExp]>([
    [
      'a partial image',
      () => corruptImages(new Uint8Array(30), { kind: 'contrast', severity: 0.5 }),
      /not a whole number of 28×28 images/,
    ],
    [
      'a blur radius of 0.5',
      () => corruptImages(images, { kind: 'box-blur', severity: 0.5 }, size),
      /integer radius ≥ 1, got 0.5/,
    ],
    [
      'a contrast factor of 2',
      () => corruptImages(images, { kind: 'contrast', severity: 2 }, size),
      /factor in \[0, 1\], got 2/,
    ],
    [
      'an unknown kind',
      () => corruptImages(images, { kind: 'fog' as Corruption['kind'], severity: 1 }, size),
      /unknown corruption "fog"/,
    ],
  ])('refuses %s', (_name, call, message) => {
    expect(call).toThrow(message);
  });

  it('names the benchmark corruptions uniquely: four kinds, two severities each', () => {
    const names = SHIFT_CORRUPTIONS.map(corruptionName);
    expect(new Set(names).size).toBe(8);
    expect(new Set(SHIFT_CORRUPTIONS.map((corruption) => corruption.kind)).size).toBe(4);
  });
});
