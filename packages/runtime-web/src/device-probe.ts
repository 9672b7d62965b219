import type { DeviceInfo } from '@pcee/core';
import type { OrtFlavour, WebDevice } from './ort-flavour.js';

/** The slice of the WebGPU API the probe touches (typed here so the adapter needs no @webgpu/types). */
interface GpuLike {
  requestAdapter(options?: object): Promise<object | null>;
}

const cache = new Map<WebDevice, Promise<DeviceInfo>>();

/**
 * Whether `device` works here with `flavour`. WebGPU needs `navigator.gpu` and an adapter
 * from `requestAdapter()` (a browser may expose the API yet have no adapter: blocklisted
 * GPU, headless without `--enable-unsafe-webgpu`). The environment's answer is cached per
 * page/process: adapters do not come and go while a page runs, and asking costs time.
 */
export async function probeDevice(flavour: OrtFlavour, device: WebDevice): Promise<DeviceInfo> {
  const missingFrom = flavour.missing?.[device];
  if (missingFrom) {
    return {
      name: device,
      available: false,
      reason: `${flavour.module} has no ${device}; import ${missingFrom}`,
    };
  }
  let result = cache.get(device);
  if (!result) {
    result = device === 'webgpu' ? probeWebGpu() : probeWasm();
    cache.set(device, result);
  }
  return result;
}

async function probeWasm(): Promise<DeviceInfo> {
  if (typeof WebAssembly === 'object') return { name: 'wasm', available: true };
  return { name: 'wasm', available: false, reason: 'this JavaScript environment has no WebAssembly' };
}

async function probeWebGpu(): Promise<DeviceInfo> {
  if (isNode()) {
    return {
      name: 'webgpu',
      available: false,
      reason: 'onnxruntime-web runs only wasm in Node; use @pcee/runtime-node for WebGPU in Node',
    };
  }
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) {
    return {
      name: 'webgpu',
      available: false,
      reason: 'navigator.gpu is missing (this browser has no WebGPU, or the page is not a secure context)',
    };
  }
  try {
    const adapter = await gpu.requestAdapter();
    if (adapter) return { name: 'webgpu', available: true };
    return {
      name: 'webgpu',
      available: false,
      reason: 'navigator.gpu.requestAdapter() found no adapter (GPU blocklisted or disabled)',
    };
  } catch (error) {
    return {
      name: 'webgpu',
      available: false,
      reason: `requestAdapter() failed: ${(error as Error).message}`,
    };
  }
}

/** Node (not a browser or worker): onnxruntime-web's Node build has no WebGPU. */
export function isNode(): boolean {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return (
    typeof process?.versions?.node === 'string' &&
    typeof (globalThis as { window?: unknown }).window === 'undefined'
  );
}
