import { status as grpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../serve-server.js';
import { binaryInferBody, postBinary } from '../test-support/binary-client.js';
import { inferBody, testImages } from '../test-support/bundled-models.js';
import { grpcInferRequest, type OipGrpcClient, oipGrpcClient } from '../test-support/grpc-client.js';
import { post } from '../test-support/http-client.js';
import { startTestServer } from '../test-support/test-server.js';
import { WORKER_MODES } from '../test-support/worker-modes.js';

/** Seconds of overload in CI; `npm run bench` runs the 30 s version. */
const SECONDS = 6;
const CLIENTS = 32;
const SAMPLES_PER_REQUEST = 16;
const MAX_QUEUE = 128;
const ID = 'fmnist-cnn-large';

describe.each(WORKER_MODES)('protocol work $mode', ({ options }) => {
  let server: RunningServer;
  let grpc: OipGrpcClient;
  beforeAll(async () => {
    server = await startTestServer(ID, {
      maxQueue: MAX_QUEUE,
      maxRequestSamples: 64,
      maxBatch: 32,
      timeoutMs: 5000,
      grpcPort: 0,
      ...options,
    });
    grpc = oipGrpcClient(server.grpcAddress!);
  });
  afterAll(async () => {
    grpc?.close();
    await server?.close();
  });

  /** One request's outcome as an HTTP status (gRPC codes mapped back), its Retry-After, and whether an error was one `{"error"}` line. */
  type Sent = { status: number; retryAfter?: string; oneLine: boolean };
  const { pixels } = testImages(SAMPLES_PER_REQUEST);
  const HTTP_OF_GRPC: Partial<Record<number, number>> = {
    [grpcStatus.OK]: 200,
    [grpcStatus.RESOURCE_EXHAUSTED]: 429,
    [grpcStatus.UNAVAILABLE]: 503,
  };
  const jsonBody = inferBody(pixels, 0, SAMPLES_PER_REQUEST);
  const binary = binaryInferBody(pixels, 0, SAMPLES_PER_REQUEST);
  const grpcRequest = grpcInferRequest(ID, pixels, 0, SAMPLES_PER_REQUEST);
  const oneErrorLine = (text: string) => {
    const json = JSON.parse(text) as Record<string, unknown>;
    return Object.keys(json).join() === 'error' && !String(json.error).includes('\n');
  };
  const TRANSPORTS: [string, () => Promise<Sent>][] = [
    [
      'JSON',
      async () => {
        const response = await post(`${server.url}/v2/models/${ID}/infer`, jsonBody, 15_000);
        return {
          status: response.status,
          retryAfter: response.headers['retry-after'] as string | undefined,
          oneLine: response.status === 200 || oneErrorLine(response.text),
        };
      },
    ],
    [
      'binary REST',
      async () => {
        const response = await postBinary(
          `${server.url}/v2/models/${ID}/infer`,
          binary.body,
          binary.headerLength,
          15_000,
        );
        return {
          status: response.status,
          retryAfter: response.headers['retry-after'] as string | undefined,
          oneLine: response.status === 200 || oneErrorLine(response.body.toString()),
        };
      },
    ],
    [
      'gRPC',
      async () => {
        const outcome = await grpc.call('ModelInfer', grpcRequest);
        if (outcome.ok) return { status: 200, oneLine: true };
        return {
          status: HTTP_OF_GRPC[outcome.code] ?? -outcome.code,
          retryAfter: outcome.metadata.get('retry-after')[0] as string | undefined,
          oneLine: !outcome.details.includes('\n'),
        };
      },
    ],
  ];

  it.each(TRANSPORTS)(
    `overload over %s: ${CLIENTS} clients × ${SAMPLES_PER_REQUEST} samples against a queue of ${MAX_QUEUE}: every request is answered 200, 429 or 503 (gRPC: OK, RESOURCE_EXHAUSTED, UNAVAILABLE), memory stays bounded`,
    async (transport, send) => {
      const statuses = new Map<number | string, number>();
      const retryAfter = new Set<string | null>();
      let rssPeak = 0;
      const rssStart = process.memoryUsage().rss;
      const sampler = setInterval(() => {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      }, 100);
      const started = performance.now();
      const deadline = started + SECONDS * 1000;
      const client = async () => {
        while (performance.now() < deadline) {
          let key: number | string;
          try {
            // A hung request would hit this timeout and count as a failure.
            const response = await send();
            key = response.status;
            expect(response.oneLine).toBe(true);
            if (response.status !== 200) retryAfter.add(String(response.retryAfter));
          } catch (error) {
            key = (error as Error).name;
          }
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, client));
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      const answered = [...statuses.values()].reduce((sum, count) => sum + count, 0);
      const ok = statuses.get(200) ?? 0;
      const summary = Object.fromEntries(statuses);
      console.log(
        `overload over ${transport} ${seconds.toFixed(1)} s: ${JSON.stringify(summary)}; offered ${(answered / seconds).toFixed(0)} req/s, served ${(ok / seconds).toFixed(0)} req/s (${(answered / Math.max(ok, 1)).toFixed(1)}× capacity); RSS +${((rssPeak - rssStart) / 2 ** 20).toFixed(0)} MiB`,
      );
      expect(
        [...statuses.keys()].every((key) => key === 200 || key === 429 || key === 503),
        JSON.stringify(summary),
      ).toBe(true);
      expect(ok).toBeGreaterThan(0);
      expect(statuses.get(429) ?? 0).toBeGreaterThan(0);
      // Offered load was well above what the server could serve, so the 429s above are real
      // overload. The clients share this process and this machine: gRPC's client-side encoding
      // caps what it offers near 3×, protocol workers serve more of the same load (3.5× seen),
      // and inline JSON was measured at 4.0×; 2× keeps the check about overload, not speed.
      expect(answered / ok).toBeGreaterThanOrEqual(2);
      expect(retryAfter).toEqual(new Set(['1']));
      // Queues are capped, so memory is too (client and server share this process).
      expect(rssPeak - rssStart).toBeLessThan(256 * 2 ** 20);
      // Nothing is left behind: every admitted sample was answered.
      expect(server.models[0]!.scheduler.inFlight).toBe(0);
    },
  );
});
