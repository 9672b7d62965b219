import {
  type DeviceInfo,
  type LoadOptions,
  type ModelPackage,
  type OnnxBackend,
  OnnxStagedModel,
  type Runtime,
  type RuntimeCapabilities,
  type StagedModel,
  selectDevice,
} from '@pcee/core';
import type { InferenceSession } from 'onnxruntime-node';
import { NODE_DEVICES, type NodeDevice, probeDevice } from './device-probe.js';
import { createSession, runSession } from './onnx-session.js';
import { loadOrt, type Ort } from './onnxruntime-loader.js';
import { sessionOptions } from './session-options.js';

/** Runtime name reported in capabilities and messages. */
export const NODE_RUNTIME_NAME = 'onnxruntime-node';

/**
 * The PCEE runtime on onnxruntime-node: devices `cpu` (default, always available),
 * `cuda` (only when onnxruntime-node's CUDA libraries were installed with `npm run install:cuda`
 * and a CUDA 12 GPU is present) and `webgpu` (Dawn; without a GPU only through SwiftShader,
 * `VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json`).
 *
 * Devices are probed on the first `capabilities()`/`load()` and cached for the process.
 */
export function createNodeRuntime(): Runtime {
  return {
    name: NODE_RUNTIME_NAME,
    capabilities: nodeCapabilities,
    load: loadStagedModel,
  };
}

/** The shared onnxruntime-node runtime. */
export const nodeRuntime: Runtime = createNodeRuntime();

/** Devices of onnxruntime-node on this machine, probed once per process. */
export async function nodeCapabilities(): Promise<RuntimeCapabilities> {
  const ort = await loadOrt();
  const devices = await Promise.all(NODE_DEVICES.map((device) => probeDevice(device)));
  return { runtime: NODE_RUNTIME_NAME, version: ort.env.versions.node ?? ort.env.versions.common, devices };
}

/**
 * Picks the device (`selectDevice`: fallback only for a list) and the session options every
 * session of one load shares. Only the requested devices are probed, in order, until one is
 * available: probing WebGPU costs ~0.5 s and makes Dawn print to stderr, which a plain `cpu`
 * load should not. The other devices are probed only to name the available ones in an error.
 */
export async function resolveDevice(
  options: LoadOptions,
): Promise<{ device: NodeDevice; session: InferenceSession.SessionOptions }> {
  const requested = options.device;
  const wanted =
    requested === undefined ? [NODE_DEVICES[0]] : typeof requested === 'string' ? [requested] : requested;
  const unprobed = (name: string): DeviceInfo => ({
    name,
    available: false,
    reason: `not probed (ask for it with device "${name}" to check)`,
  });
  const partial = (devices: readonly DeviceInfo[]): RuntimeCapabilities => ({
    runtime: NODE_RUNTIME_NAME,
    version: '',
    devices: NODE_DEVICES.map((name) => devices.find((info) => info.name === name) ?? unprobed(name)),
  });
  // An unknown name is refused (naming the known ones) before anything is probed.
  if (wanted.some((name) => !(NODE_DEVICES as readonly string[]).includes(name)))
    selectDevice(partial([]), requested);
  const probed: DeviceInfo[] = [];
  for (const name of wanted) {
    const info = await probeDevice(name as NodeDevice);
    probed.push(info);
    if (info.available) break;
  }
  // To name the available devices in the error, probe the rest, except WebGPU unless it was
  // asked for: Dawn's probe prints native warnings that would bury the one-line error.
  const others = NODE_DEVICES.filter(
    (name) => !probed.some((info) => info.name === name) && (name !== 'webgpu' || wanted.includes(name)),
  );
  const capabilities = probed.some((info) => info.available)
    ? partial(probed)
    : partial([...probed, ...(await Promise.all(others.map((name) => probeDevice(name))))]);
  const device = selectDevice(capabilities, requested) as NodeDevice;
  return { device, session: sessionOptions(device, options) };
}

/**
 * Loads every stage of a model package: reads each file (sha256-checked) and creates one
 * session per stage, once. Sessions of a failed load are released.
 *
 * @throws DeviceUnavailableError naming the available devices.
 * @throws InvalidManifestError for a missing file, a sha256 mismatch or names the graph lacks.
 * @throws RuntimeFailureError when onnxruntime rejects a file (naming it).
 */
async function loadStagedModel(modelPackage: ModelPackage, options: LoadOptions = {}): Promise<StagedModel> {
  const ort = await loadOrt();
  const { device, session } = await resolveDevice(options);
  const sessions: InferenceSession[] = [];
  try {
    for (const stage of modelPackage.manifest.stages) {
      sessions.push(await createSession(ort, modelPackage, stage.file, device, session));
    }
    return new OnnxStagedModel(modelPackage.manifest, device, sessions, nodeBackend(ort));
  } catch (error) {
    await Promise.allSettled(sessions.map((created) => created.release()));
    throw error;
  }
}

/** How core's session-backed models drive onnxruntime-node. */
export function nodeBackend(ort: Ort): OnnxBackend<InferenceSession> {
  return {
    createTensor: (tensor) => new ort.Tensor(tensor.dtype, tensor.data, [...tensor.shape]),
    run: (session, feeds, what) => runSession(session, feeds as InferenceSession.FeedsType, what),
  };
}
