import { RuntimeFailureError } from '@pcee/core';
import type { OrtFlavour, OrtWeb } from './ort-flavour.js';

const loading = new Map<OrtFlavour, Promise<OrtWeb>>();

/**
 * Imports a flavour's onnxruntime-web module once. Done on first `capabilities()`/`load()`,
 * never at import, so a page that imports the adapter but never runs a model pays nothing,
 * and a broken install is a `RuntimeFailureError` rather than an import crash.
 */
export function loadOrt(flavour: OrtFlavour): Promise<OrtWeb> {
  let module = loading.get(flavour);
  if (!module) {
    module = flavour.importModule().then(
      (imported) => {
        const ort = ((imported as { default?: OrtWeb }).default ?? imported) as OrtWeb;
        // onnxruntime-web warns on the console about, e.g., nodes it places on the CPU;
        // those are expected for multi-exit stages and would drown real problems.
        ort.env.logLevel = 'error';
        return ort;
      },
      (error: unknown) => {
        loading.delete(flavour);
        throw new RuntimeFailureError(
          `${flavour.module} could not be loaded (${(error as Error).message}); install it with: npm install onnxruntime-web@1.30.0`,
          { cause: error },
        );
      },
    );
    loading.set(flavour, module);
  }
  return module;
}
