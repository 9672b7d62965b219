// Measures: what decoding a request body costs the server's main thread inline vs handing it to a protocol worker, per transport and size.
// Where a request body should be decoded when the server has protocol workers: what decoding
// inline costs the main thread, against what handing the body to a worker and taking the
// decoded request back costs it (posting, the reply's message event, moving the tensors). The
// main thread's busy time is read from its event-loop utilisation (ELU), not wall time, so the
// worker's own decoding does not count: that runs beside inference. This picks
// DECODE_IN_WORKER_FROM_JSON_BYTES and _RAW_BYTES. µs of main-thread time per request, median of interleaved rounds.
// Run: npm run bench:dispatch -w @pcee/serve (after building @pcee/serve); PCEE_BENCH_IMAGES=1,4,16,64.
import { performance } from 'node:perf_hooks';
import { ProtocolWorkers } from '@pcee/serve';
import { median, printJson, printTable } from '../../../scripts/bench/bench-kit.mjs';
import { benchLimits, benchModel, requestBodies } from './request-bodies.mjs';

const IMAGES = (process.env.PCEE_BENCH_IMAGES ?? '1,4,16,64').split(',').map(Number);
const ROUNDS = Number(process.env.PCEE_BENCH_ROUNDS ?? 5);
const REQUESTS = Number(process.env.PCEE_BENCH_REQUESTS ?? 2000);
/** Requests in flight at once, as under load. */
const CONCURRENCY = 16;
const model = benchModel;
const limits = benchLimits;

/** One request per transport, with what the pool needs to decode it. */
function bodies(images) {
  const { json, binary, binaryHeaderLength, grpc } = requestBodies(images);
  return {
    json: { body: json },
    binary: { body: binary, headerLength: binaryHeaderLength },
    grpc: { body: grpc, grpc: true },
  };
}

/** Main-thread µs per request decoding `REQUESTS` copies of `body` with `pool`, CONCURRENCY at a time. */
async function mainThreadMicroseconds(pool, body) {
  const decode = () =>
    body.grpc
      ? pool.decodeGrpc(Buffer.from(body.body))
      : pool.decodeRest(model.name, Buffer.from(body.body), body.headerLength);
  let sent = 0;
  const before = performance.eventLoopUtilization();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent++ < REQUESTS) {
        const decoded = await decode();
        if (decoded.step !== 'done')
          throw new Error(`decode failed: ${JSON.stringify(decoded).slice(0, 200)}`);
      }
    }),
  );
  const utilisation = performance.eventLoopUtilization(before).utilization;
  return ((performance.now() - started) * 1000 * utilisation) / REQUESTS;
}

const settings = { workers: 1, models: [model], limits };
const inline = await ProtocolWorkers.start({
  ...settings,
  minJsonBytes: Number.POSITIVE_INFINITY,
  minRawBytes: Number.POSITIVE_INFINITY,
});
const worker = await ProtocolWorkers.start({ ...settings, minJsonBytes: 0, minRawBytes: 0 });
const rows = [];
for (const images of IMAGES) {
  for (const [protocol, body] of Object.entries(bodies(images))) {
    const runs = { inline: [], worker: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved, both orders, so drift in the machine's load hits both alike.
      const order = round % 2 ? ['worker', 'inline'] : ['inline', 'worker'];
      for (const mode of order)
        runs[mode].push(await mainThreadMicroseconds(mode === 'inline' ? inline : worker, body));
    }
    rows.push({
      images,
      protocol,
      bodyBytes: body.body.byteLength,
      inlineMicroseconds: median(runs.inline),
      workerMicroseconds: median(runs.worker),
    });
  }
}
await Promise.all([inline.close(), worker.close()]);
const header = [
  'images',
  'protocol',
  'body bytes',
  'inline µs (main thread)',
  'worker µs (main thread)',
  'worker saves',
];
const lines = rows.map((row) => [
  String(row.images),
  row.protocol,
  String(row.bodyBytes),
  row.inlineMicroseconds.toFixed(1),
  row.workerMicroseconds.toFixed(1),
  `${(row.inlineMicroseconds - row.workerMicroseconds).toFixed(1)} µs`,
]);
printTable('main-thread µs per request: decoded inline vs by a protocol worker', header, lines);
printJson('dispatch', { settings: { rounds: ROUNDS, requests: REQUESTS, concurrency: CONCURRENCY }, rows });
