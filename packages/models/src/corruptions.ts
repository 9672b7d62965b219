import { seededRandom } from '@pcee/core';

/**
 * Simple, reproducible shifts of the input distribution for Fashion-MNIST-sized grey images
 * (uint8, row-major `[n, height, width]`), after Hendrycks & Dietterich's ImageNet-C:
 * - `gaussian-noise`: adds N(0, σ²) per pixel, σ in grey levels (of 255);
 * - `box-blur`: mean over a (2r+1)² box (edges clamped), r in pixels;
 * - `contrast`: pulls each pixel towards its image's mean grey: m + c·(x − m);
 * - `pixelate`: averages b×b blocks and repeats the mean (a lower resolution);
 * results are rounded and clamped to [0, 255].
 */
export type CorruptionKind = 'gaussian-noise' | 'box-blur' | 'contrast' | 'pixelate';

/** One corruption at one severity. */
export interface Corruption {
  readonly kind: CorruptionKind;
  /** σ for noise, r for blur, c for contrast, b for pixelate. */
  readonly severity: number;
}

/** The corruptions of the shift benchmark: four kinds, a milder and a harsher severity each. */
export const SHIFT_CORRUPTIONS: readonly Corruption[] = [
  { kind: 'gaussian-noise', severity: 20 },
  { kind: 'gaussian-noise', severity: 40 },
  { kind: 'box-blur', severity: 1 },
  { kind: 'box-blur', severity: 2 },
  { kind: 'contrast', severity: 0.6 },
  { kind: 'contrast', severity: 0.4 },
  { kind: 'pixelate', severity: 2 },
  { kind: 'pixelate', severity: 4 },
];

/** A short name such as `gaussian-noise-40` or `contrast-0.4`. */
export function corruptionName(corruption: Corruption): string {
  return `${corruption.kind}-${corruption.severity}`;
}

/**
 * Corrupts every image of `pixels` (a new array; the input is left as it is). Noise is drawn
 * from `seed`, so the same call gives the same images.
 *
 * @param pixels uint8 `[n, height, width]`, row-major.
 * @throws RangeError for an unknown kind, a severity out of range, or a size that is not n images.
 */
export function corruptImages(
  pixels: Uint8Array,
  corruption: Corruption,
  size: { readonly height: number; readonly width: number } = { height: 28, width: 28 },
  seed = 1,
): Uint8Array {
  const { height, width } = size;
  const area = height * width;
  if (pixels.length % area !== 0) {
    throw new RangeError(`${pixels.length} pixels are not a whole number of ${height}×${width} images`);
  }
  const out = new Uint8Array(pixels.length);
  const images = pixels.length / area;
  const transform = imageTransform(corruption, height, width, seed);
  for (let image = 0; image < images; image++) {
    transform(
      pixels.subarray(image * area, (image + 1) * area),
      out.subarray(image * area, (image + 1) * area),
    );
  }
  return out;
}

type ImageTransform = (source: Uint8Array, target: Uint8Array) => void;

function imageTransform(corruption: Corruption, height: number, width: number, seed: number): ImageTransform {
  const { kind, severity } = corruption;
  const need = (ok: boolean, range: string) => {
    if (!ok) throw new RangeError(`${kind} severity must be ${range}, got ${severity}`);
  };
  switch (kind) {
    case 'gaussian-noise': {
      need(severity >= 0 && Number.isFinite(severity), 'a σ ≥ 0 in grey levels');
      const random = seededRandom(seed);
      return (source, target) => {
        for (let index = 0; index < source.length; index++) {
          // Box–Muller: one standard normal from two uniforms (1 − u keeps the log finite).
          const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
          target[index] = clampGrey(source[index]! + severity * normal);
        }
      };
    }
    case 'box-blur': {
      need(Number.isInteger(severity) && severity >= 1, 'an integer radius ≥ 1');
      return (source, target) => {
        for (let row = 0; row < height; row++) {
          for (let column = 0; column < width; column++) {
            let sum = 0;
            for (let dy = -severity; dy <= severity; dy++) {
              const y = Math.min(height - 1, Math.max(0, row + dy));
              for (let dx = -severity; dx <= severity; dx++) {
                sum += source[y * width + Math.min(width - 1, Math.max(0, column + dx))]!;
              }
            }
            target[row * width + column] = clampGrey(sum / (2 * severity + 1) ** 2);
          }
        }
      };
    }
    case 'contrast': {
      need(severity >= 0 && severity <= 1, 'a factor in [0, 1]');
      return (source, target) => {
        const mean = source.reduce((sum, value) => sum + value, 0) / source.length;
        for (let index = 0; index < source.length; index++) {
          target[index] = clampGrey(mean + severity * (source[index]! - mean));
        }
      };
    }
    case 'pixelate': {
      need(Number.isInteger(severity) && severity >= 1, 'an integer block size ≥ 1');
      return (source, target) => {
        for (let top = 0; top < height; top += severity) {
          for (let left = 0; left < width; left += severity) {
            const bottom = Math.min(height, top + severity);
            const right = Math.min(width, left + severity);
            let sum = 0;
            for (let y = top; y < bottom; y++)
              for (let x = left; x < right; x++) sum += source[y * width + x]!;
            const mean = clampGrey(sum / ((bottom - top) * (right - left)));
            for (let y = top; y < bottom; y++)
              for (let x = left; x < right; x++) target[y * width + x] = mean;
          }
        }
      };
    }
    default:
      throw new RangeError(
        `unknown corruption "${kind as string}"; the kinds are gaussian-noise, box-blur, contrast, pixelate`,
      );
  }
}

function clampGrey(value: number): number {
  return Math.min(255, Math.max(0, Math.round(value)));
}
