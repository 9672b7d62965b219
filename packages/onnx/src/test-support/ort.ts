import { createTensor, narrowFloat16, type Tensor, widenFloat16 } from '@pcee/core';
import * as ort from 'onnxruntime-node';
import { type ModelProto, type OnnxDtype, type ProbeRunner, writeModel } from '../index.js';

/** Runs a model (proto or bytes) on onnxruntime-node's CPU backend and returns every output as a Tensor. */
export async function runModel(
  model: ModelProto | Uint8Array,
  feeds: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>,
  options: ort.InferenceSession.SessionOptions = {},
): Promise<Map<string, Tensor>> {
  const session = await ort.InferenceSession.create(
    model instanceof Uint8Array ? model : writeModel(model),
    options,
  );
  try {
    const entries = feeds instanceof Map ? [...feeds] : Object.entries(feeds);
    const inputs = Object.fromEntries(
      entries
        .filter(([name]) => session.inputNames.includes(name))
        .map(([name, tensor]) => [name, toOrt(tensor)]),
    );
    const outputs = await session.run(inputs);
    return new Map(Object.entries(outputs).map(([name, tensor]) => [name, fromOrt(tensor)]));
  } finally {
    await session.release();
  }
}

/** The probe runner over onnxruntime-node (see `probeModel`). */
export const ortProbeRunner: ProbeRunner = async (model, feeds) => {
  const outputs = await runModel(model, feeds, { graphOptimizationLevel: 'disabled' });
  return new Map(
    [...outputs].map(([name, tensor]) => [name, { dtype: tensor.dtype as OnnxDtype, dims: tensor.shape }]),
  );
};

/**
 * Runs partition stages in order, feeding each the tensors it consumes from what the inputs and
 * earlier stages gave; returns every exit's logits.
 */
export async function runStages(
  stages: readonly {
    readonly model: ModelProto;
    readonly consumes: readonly string[];
    readonly logits: string;
  }[],
  inputs: ReadonlyMap<string, Tensor>,
): Promise<Tensor[]> {
  const pool = new Map(inputs);
  const logits: Tensor[] = [];
  for (const stage of stages) {
    const feeds = new Map(stage.consumes.map((name) => [name, pool.get(name)!]));
    const outputs = await runModel(stage.model, feeds);
    for (const [name, tensor] of outputs) pool.set(name, tensor);
    logits.push(outputs.get(stage.logits)!);
  }
  return logits;
}

/** max |a − b| / max |a|: the relative error of `b` against the reference `a`. */
export function relativeError(a: Tensor, b: Tensor): number {
  let difference = 0;
  let scale = 0;
  for (let k = 0; k < a.data.length; k++) {
    const x = Number(a.data[k]);
    difference = Math.max(difference, Math.abs(x - Number(b.data[k])));
    scale = Math.max(scale, Math.abs(x));
  }
  return scale === 0 ? difference : difference / scale;
}

function toOrt(tensor: Tensor): ort.Tensor {
  if (tensor.dtype === 'float16') {
    return new ort.Tensor('float16', narrowFloat16(tensor.data as Float32Array), tensor.shape);
  }
  return new ort.Tensor(tensor.dtype as 'float32', tensor.data as Float32Array, tensor.shape);
}

function fromOrt(tensor: ort.Tensor): Tensor {
  const dims = [...tensor.dims];
  if (tensor.type === 'float16')
    return createTensor('float16', dims, widenFloat16(tensor.data as Uint16Array));
  return createTensor(tensor.type as Tensor['dtype'], dims, tensor.data as Tensor['data']);
}
