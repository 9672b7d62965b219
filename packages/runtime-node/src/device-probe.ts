import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DeviceInfo } from '@pcee/core';
import { loadOrt, type Ort } from './onnxruntime-loader.js';
import { PROBE_INPUT, PROBE_MODEL } from './probe-model.js';

/** Devices of the onnxruntime-node adapter, preferred first when none is requested. */
export const NODE_DEVICES = ['cpu', 'cuda', 'webgpu'] as const;

/** A device name of the onnxruntime-node adapter. */
export type NodeDevice = (typeof NODE_DEVICES)[number];

/** The onnxruntime execution provider behind each device. */
export const EXECUTION_PROVIDER: Record<NodeDevice, string> = { cpu: 'cpu', cuda: 'cuda', webgpu: 'webgpu' };

/**
 * Why `cuda` is unavailable when onnxruntime-node has no CUDA provider library, and the fix:
 * `npm ci` here never runs onnxruntime-node's own install step (allowScripts turns it off), so
 * `ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci` cannot fetch the libraries; this script runs that step.
 */
export const CUDA_MISSING =
  'onnxruntime-node has no CUDA libraries here; install them with: npm run install:cuda -w @pcee/runtime-node (outside this repository: node node_modules/@pcee/runtime-node/scripts/install-cuda.mjs), on a machine with CUDA 12 and cuDNN 9';

const cache = new Map<NodeDevice, Promise<DeviceInfo>>();

/**
 * Whether `device` works here, probed once per process and cached: a device does not
 * appear or vanish while a process runs, and probing WebGPU costs ~0.5 s.
 */
export function probeDevice(device: NodeDevice): Promise<DeviceInfo> {
  let result = cache.get(device);
  if (!result) {
    result = probeUncached(device);
    cache.set(device, result);
  }
  return result;
}

async function probeUncached(device: NodeDevice): Promise<DeviceInfo> {
  const ort = await loadOrt();
  if (device === 'cuda') {
    // Without its provider library, asking for CUDA makes onnxruntime log a loud error
    // before throwing; checking the file first keeps the common case (CPU install) quiet.
    const library = cudaProviderLibrary();
    if (!library || !existsSync(library)) {
      return {
        name: device,
        available: false,
        reason: CUDA_MISSING,
      };
    }
  }
  const reason = await tryProvider(ort, EXECUTION_PROVIDER[device]);
  if (reason === undefined) return { name: device, available: true };
  return { name: device, available: false, reason: device === 'webgpu' ? reason + webgpuHint() : reason };
}

/** Without a GPU, Dawn finds an adapter only through a software Vulkan driver (SwiftShader). */
function webgpuHint(): string {
  if (process.env.VK_ICD_FILENAMES) return '';
  const swiftShader = '/usr/lib/chromium/vk_swiftshader_icd.json';
  return existsSync(swiftShader)
    ? `; without a GPU, set VK_ICD_FILENAMES=${swiftShader} to use SwiftShader (slow, for testing)`
    : '';
}

/** Creates and runs the probe model on one provider; resolves to why it failed, or undefined. */
async function tryProvider(ort: Ort, provider: string): Promise<string | undefined> {
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>> | undefined;
  try {
    session = await ort.InferenceSession.create(PROBE_MODEL, {
      executionProviders: [provider],
      logSeverityLevel: 4,
    });
    const input = new ort.Tensor('float32', Float32Array.from(PROBE_INPUT.values), [...PROBE_INPUT.dims]);
    const output = await session.run({ [PROBE_INPUT.name]: input });
    const values = output[PROBE_INPUT.output]?.data as Float32Array | undefined;
    if (!values || values[3] !== 2 * PROBE_INPUT.values[3]) return `${provider} returned wrong results`;
    return undefined;
  } catch (error) {
    return summarise((error as Error).message);
  } finally {
    await session?.release().catch(() => undefined);
  }
}

/** Path where onnxruntime-node keeps the CUDA provider library when installed with CUDA. */
function cudaProviderLibrary(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('onnxruntime-node/package.json'));
    return join(root, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
  } catch {
    return undefined;
  }
}

/** The useful tail of an onnxruntime error ("Failed to get a WebGPU adapter: …"), on one line. */
function summarise(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  const adapter = line.indexOf('Failed to get a WebGPU adapter');
  const text = adapter >= 0 ? line.slice(adapter) : line.replace(/^.*?\] /, '');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
