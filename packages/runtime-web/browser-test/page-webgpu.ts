// The conformance page for `@pcee/runtime-web/webgpu` (onnxruntime-web/webgpu).
import { createWebRuntime, openModelPackageFromUrl } from '../src/webgpu.js';
import { exposeConformance } from './page-runner.js';

exposeConformance(createWebRuntime({ wasmPaths: '/ort/' }), (url) => openModelPackageFromUrl(url));
