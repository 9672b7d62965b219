// The conformance page for `@pcee/runtime-web/wasm` (onnxruntime-web/wasm only).
import { createWebRuntime, openModelPackageFromUrl } from '../src/wasm.js';
import { exposeConformance } from './page-runner.js';

exposeConformance(createWebRuntime({ wasmPaths: '/ort/' }), (url) => openModelPackageFromUrl(url));
