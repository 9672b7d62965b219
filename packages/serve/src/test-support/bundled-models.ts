import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CalibrationProfile,
  calibrate,
  type ModelManifest,
  manifestCosts,
  modelFingerprint,
  parseManifest,
  preprocessModelInputs,
  readNpz,
  readTraces,
  type TensorMap,
} from '@pcee/core';
import { modelDir, testInputsPath } from '@pcee/models';

/**
 * A bundled model's profile, calibrated on its validation traces exactly as
 * `pcee calibrate val.npz --model <dir>` does.
 */
export function bundledProfile(id: string): CalibrationProfile {
  const folder = modelDir(id);
  const manifest = parseManifest(readFileSync(join(folder, 'model.json'), 'utf8'));
  const traces = readTraces(new Uint8Array(readFileSync(join(folder, 'val.npz'))), 'val.npz');
  return calibrate(traces, {
    costs: manifestCosts(manifest),
    model: { id: manifest.id, fingerprint: modelFingerprint(manifest) },
  });
}

/** The first `count` Fashion-MNIST test images (uint8 [count, 28, 28]) and their labels. */
export function testImages(count: number): { pixels: Uint8Array; labels: Int32Array; count: number } {
  const tensors = readNpz(new Uint8Array(readFileSync(testInputsPath())));
  const x = tensors.get('x')!;
  const labels = tensors.get('labels')!;
  return {
    pixels: (x.data as Uint8Array).slice(0, count * 784),
    labels: Int32Array.from((labels.data as BigInt64Array).subarray(0, count), Number),
    count,
  };
}

/** An OIP request body for images `[from, to)` of `pixels` as UINT8 `[n, 28, 28]`. */
export function inferBody(
  pixels: Uint8Array,
  from: number,
  to: number,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    inputs: [
      {
        name: 'image',
        shape: [to - from, 28, 28],
        datatype: 'UINT8',
        data: Array.from(pixels.subarray(from * 784, to * 784)),
      },
    ],
    ...extra,
  });
}

/** Raw pixels `[count, 28, 28]` preprocessed per the manifest, as stage 0 takes them. */
export function preprocessedImages(manifest: ModelManifest, pixels: Uint8Array, count: number): TensorMap {
  const raw = { dtype: 'uint8' as const, shape: [count, 28, 28], data: pixels.subarray(0, count * 784) };
  return preprocessModelInputs(manifest, new Map([['image', raw]]));
}
