import { type ModelPackage, type OnnxBackend, OnnxStagedModel, type Runtime } from '@pcee/core';
import * as ort from 'onnxruntime-node';

const backend: OnnxBackend<ort.InferenceSession> = {
  createTensor: (tensor) => new ort.Tensor(tensor.dtype, tensor.data, [...tensor.shape]),
  run: (session, feeds) => session.run(feeds as ort.InferenceSession.FeedsType),
};

/**
 * A minimal CPU runtime over onnxruntime-node and core's session-backed staged model, so
 * this package tests fused packages end to end without depending on @pcee/runtime-node
 * (which depends on nothing here; the real adapter is tested with fusion in its own package).
 */
export const ortRuntime: Runtime = {
  name: 'onnxruntime-node (test)',
  capabilities: async () => ({
    runtime: 'onnxruntime-node',
    version: '',
    devices: [{ name: 'cpu', available: true }],
  }),
  async load(modelPackage: ModelPackage) {
    const sessions = await Promise.all(
      modelPackage.manifest.stages.map(async (stage) =>
        ort.InferenceSession.create(await modelPackage.readFile(stage.file), { intraOpNumThreads: 1 }),
      ),
    );
    return new OnnxStagedModel(modelPackage.manifest, 'cpu', sessions, backend);
  },
};
