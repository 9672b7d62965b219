import { RuntimeFailureError } from '@pcee/core';

/** The onnxruntime-node module (its public API). */
export type Ort = typeof import('onnxruntime-node');

let loading: Promise<Ort> | undefined;

/**
 * Loads onnxruntime-node on first use. Importing `@pcee/runtime-node` therefore never loads
 * native code: availability is detected in `capabilities()`/`load()`, as the adapter spec
 * asks, and a broken native install becomes a `RuntimeFailureError` instead of an import crash.
 */
export function loadOrt(): Promise<Ort> {
  loading ??= import('onnxruntime-node').then(
    (module) => ((module as { default?: Ort }).default ?? module) as Ort,
    (error: unknown) => {
      loading = undefined;
      throw new RuntimeFailureError(
        `onnxruntime-node could not be loaded (${(error as Error).message}); reinstall it with: npm install onnxruntime-node@1.30.0`,
        { cause: error },
      );
    },
  );
  return loading;
}
