import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../serve-server.js';
import { inferBody, testImages } from '../test-support/bundled-models.js';
import { post } from '../test-support/http-client.js';
import { startTestServer } from '../test-support/test-server.js';

/** Seconds of overload in CI; `npm run bench` runs the 30 s version. */
const SECONDS = 6;
const CLIENTS = 32;
const SAMPLES_PER_REQUEST = 16;
const MAX_QUEUE = 128;
const ID = 'fmnist-cnn-large';

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer(ID, {
    maxQueue: MAX_QUEUE,
    maxRequestSamples: 64,
    maxBatch: 32,
    timeoutMs: 5000,
  });
});
afterAll(() => server?.close());

it(`overload: ${CLIENTS} clients × ${SAMPLES_PER_REQUEST} samples against a queue of ${MAX_QUEUE}: every request is answered 200, 429 or 503, memory stays bounded`, async () => {
  const { pixels } = testImages(SAMPLES_PER_REQUEST);
  const body = inferBody(pixels, 0, SAMPLES_PER_REQUEST);
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
        const response = await post(`${server.url}/v2/models/${ID}/infer`, body, 15_000);
        key = response.status;
        if (response.status !== 200) {
          expect(Object.keys(JSON.parse(response.text))).toEqual(['error']);
          retryAfter.add(String(response.headers['retry-after']));
        }
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
    `overload ${seconds.toFixed(1)} s: ${JSON.stringify(summary)}; offered ${(answered / seconds).toFixed(0)} req/s, served ${(ok / seconds).toFixed(0)} req/s (${(answered / Math.max(ok, 1)).toFixed(1)}× capacity); RSS +${((rssPeak - rssStart) / 2 ** 20).toFixed(0)} MiB`,
  );
  expect(
    [...statuses.keys()].every((key) => key === 200 || key === 429 || key === 503),
    JSON.stringify(summary),
  ).toBe(true);
  expect(ok).toBeGreaterThan(0);
  expect(statuses.get(429) ?? 0).toBeGreaterThan(0);
  // Offered load was at least 4× what the server could serve.
  expect(answered / ok).toBeGreaterThanOrEqual(4);
  expect(retryAfter).toEqual(new Set(['1']));
  // Queues are capped, so memory is too (client and server share this process).
  expect(rssPeak - rssStart).toBeLessThan(256 * 2 ** 20);
  // Nothing is left behind: every admitted sample was answered.
  expect(server.models[0]!.scheduler.inFlight).toBe(0);
});
