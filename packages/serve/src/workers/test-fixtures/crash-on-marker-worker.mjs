// The real protocol worker, except that it dies (exit code 70) on a REST body whose request id
// is "crash-worker": how the crash tests make a worker fail mid-request.
import { parentPort } from 'node:worker_threads';

// Registered before the real worker's listener, so it runs first and the thread ends before
// the real one could answer.
parentPort.on('message', ({ task }) => {
  if (task.kind === 'decode-rest' && Buffer.from(task.body).includes('"id":"crash-worker"')) process.exit(70);
});
await import(new URL('../../../dist/protocol-worker.js', import.meta.url).href);
