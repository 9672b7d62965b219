/** The onnxruntime-web module (its public API, the same for every flavour). */
export type OrtWeb = typeof import('onnxruntime-web');

/** A device name of the onnxruntime-web adapter. */
export type WebDevice = 'webgpu' | 'wasm';

/** Every device the onnxruntime-web adapter knows. */
export const WEB_DEVICES: readonly WebDevice[] = ['webgpu', 'wasm'];

/**
 * One build of onnxruntime-web (`onnxruntime-web`, `/webgpu`, `/wasm`): how to import it and
 * which devices it carries. Each entry point of this package binds one flavour, so a bundler
 * only sees that flavour's `import()`.
 */
export interface OrtFlavour {
  /** The module specifier, for messages, e.g. `"onnxruntime-web/wasm"`. */
  readonly module: string;
  /** Devices in preference order; the first is the default of `load`. */
  readonly devices: readonly WebDevice[];
  /** Devices the build lacks, with the entry point that has them. */
  readonly missing?: Partial<Record<WebDevice, string>>;
  /** Imports the module (lazily: nothing loads at import of this package). */
  importModule(): Promise<OrtWeb>;
}
