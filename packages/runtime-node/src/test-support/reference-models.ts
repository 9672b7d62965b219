import { loadReferenceModel as loadBundled, type ReferenceModel, referenceImages } from '@pcee/models';
import { openModelPackage } from '../model-package.js';

export type { ReferenceModel };

/** Opens reference model `id` from its folder, with its first `samples` test inputs and traces. */
export function loadReferenceModel(id: string, samples = 128): Promise<ReferenceModel> {
  return loadBundled(id, openModelPackage, samples);
}

/** The first `samples` raw test images (`x`, uint8 [samples, 28, 28]). */
export function referenceInputs(samples: number) {
  return referenceImages(samples).x;
}
