// What every entry point exports besides its flavour's runtime, so `@pcee/runtime-web`,
// `/webgpu` and `/wasm` are drop-in replacements for one another.

export { modelPackageFromFiles, type PackageFileContents } from './model-package-bytes.js';
export { openModelPackageFromUrl, type UrlPackageOptions } from './model-package-url.js';
export type { EnvironmentSettings, WasmPaths } from './ort-environment.js';
export { WEB_DEVICES, type WebDevice } from './ort-flavour.js';
export { digestHex } from './sha256.js';
export { type FullModel, WEB_RUNTIME_NAME, type WebRuntime, type WebRuntimeOptions } from './web-runtime.js';
