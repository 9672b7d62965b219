import { createTensor, narrowFloat16, type Tensor, widenFloat16 } from '@pcee/core';
import type { OnnxDtype, ProbeRunner } from '@pcee/onnx';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { loadOrt, type Ort } from './onnxruntime-loader.js';

/**
 * Plain CPU sessions over raw model bytes, for graph work that is not early exit (probing
 * shapes, extracting features, training heads). onnxruntime-node is loaded on first use, as
 * the adapter does, so importing this package still loads no native code.
 */

/** A core tensor as an onnxruntime tensor (no copy; float16 narrowed back to its bits). */
export function toOrtTensor(ort: Ort, tensor: Tensor): OrtTensor {
  if (tensor.dtype === 'float16')
    return new ort.Tensor('float16', narrowFloat16(tensor.data as Float32Array), tensor.shape);
  return new ort.Tensor(tensor.dtype as 'float32', tensor.data as Float32Array, tensor.shape);
}

/** An onnxruntime output as a core tensor (float16 widened). */
export function fromOrtTensor(tensor: OrtTensor): Tensor {
  const dims = [...tensor.dims];
  if (tensor.type === 'float16')
    return createTensor('float16', dims, widenFloat16(tensor.data as Uint16Array));
  return createTensor(tensor.type as Tensor['dtype'], dims, tensor.data as Tensor['data']);
}

/**
 * A CPU session from model bytes. `threads` fixes the intra-op thread count, which fixes how
 * onnxruntime splits reductions, so a head trains to the same weights on every run.
 */
export async function createCpuSession(
  bytes: Uint8Array,
  options: { threads?: number; optimize?: boolean } = {},
): Promise<InferenceSession> {
  const ort = await loadOrt();
  return ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: options.optimize === false ? 'disabled' : 'all',
    ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
  });
}

/** Runs a session on the feeds it declares (others ignored). */
export async function runSession(
  session: InferenceSession,
  feeds: ReadonlyMap<string, Tensor>,
): Promise<Map<string, Tensor>> {
  const ort = await loadOrt();
  const inputs: Record<string, OrtTensor> = {};
  for (const name of session.inputNames) inputs[name] = toOrtTensor(ort, feeds.get(name)!);
  const outputs = await session.run(inputs);
  return new Map(Object.entries(outputs).map(([name, tensor]) => [name, fromOrtTensor(tensor)]));
}

/** `probeModel`'s runner on onnxruntime-node, graph optimizations off (they fuse fetched tensors away). */
export const ortProbeRunner: ProbeRunner = async (model, feeds) => {
  const session = await createCpuSession(model, { optimize: false });
  try {
    const outputs = await runSession(session, feeds);
    return new Map(
      [...outputs].map(([name, tensor]) => [name, { dtype: tensor.dtype as OnnxDtype, dims: tensor.shape }]),
    );
  } finally {
    await session.release();
  }
};
