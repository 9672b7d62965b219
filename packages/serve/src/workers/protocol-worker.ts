/**
 * The protocol worker thread's entry (built to `dist/protocol-worker.js`): decodes and
 * validates request bodies and encodes answers for the main thread, which keeps the event loop,
 * the scheduler and onnxruntime. Answers `{id, task}` with `{id, ok, result}`, moving the typed
 * arrays of a decoded request back without copying.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadOipGrpcService } from '../grpc/oip-grpc-package.js';
import {
  type ProtocolContext,
  type ProtocolTask,
  type ProtocolWorkerData,
  runProtocolTask,
  transferablesOf,
} from './protocol-task.js';
import { serializeError } from './serialized-error.js';

const port = parentPort;
if (!port) throw new Error('protocol-worker.js runs as a worker thread (new Worker), not as a script');
const data = workerData as ProtocolWorkerData;
const modelInfer = loadOipGrpcService().service.ModelInfer!;
const context: ProtocolContext = {
  models: new Map(data.models.map((model) => [model.name, model])),
  limits: data.limits,
  grpc: {
    deserialize: modelInfer.requestDeserialize as (bytes: Buffer) => unknown,
    serialize: modelInfer.responseSerialize as (message: unknown) => Buffer,
  },
};

port.on('message', ({ id, task }: { id: number; task: ProtocolTask }) => {
  try {
    const result = runProtocolTask(context, task);
    const body =
      task.kind === 'decode-rest' ? task.body : task.kind === 'decode-grpc' ? task.message : undefined;
    port.postMessage({ id, ok: true, result }, transferablesOf(result, body ? [body.buffer] : []));
  } catch (error) {
    port.postMessage({ id, ok: false, error: serializeError(error) });
  }
});
port.postMessage({ ready: true });
