import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../serve-server.js';
import { inferBody, testImages } from '../test-support/bundled-models.js';
import { post } from '../test-support/http-client.js';
import { startTestServer } from '../test-support/test-server.js';

const ID = 'fmnist-cnn-small';
const { pixels } = testImages(8);
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer(ID, {
    workers: 2,
    workerOptions: {
      minJsonBytes: 0,
      minRawBytes: 0,
      minAnswerValues: 0,
      script: new URL('./test-fixtures/crash-on-marker-worker.mjs', import.meta.url),
    },
  });
});
afterAll(async () => {
  await server?.close();
});

const infer = (id: string) => post(`${server.url}/v2/models/${ID}/infer`, inferBody(pixels, 0, 4, { id }));

it('a worker that dies mid-request fails that request with a 500 naming it, is replaced, and nothing else fails', async () => {
  const good = Array.from({ length: 12 }, (_, index) => infer(`good-${index}`));
  const crashed = await infer('crash-worker');
  expect(crashed.status).toBe(500);
  const error = (JSON.parse(crashed.text) as { error: string }).error;
  expect(error).toMatch(
    /^the protocol worker handling this request stopped \(exit code 70\); the request was not run, retry it$/,
  );
  for (const response of await Promise.all(good)) expect(response.status).toBe(200);
  expect(server.protocol?.replaced).toBe(1);
  expect(server.protocol?.size).toBe(2);
  // The replacement serves: more requests than one worker could take at once all succeed.
  const after = await Promise.all(Array.from({ length: 8 }, (_, index) => infer(`after-${index}`)));
  expect(after.map((response) => response.status)).toEqual(new Array(8).fill(200));
  expect(server.models[0]!.scheduler.inFlight).toBe(0);
});

it('close (the SIGTERM drain) stops the protocol workers', async () => {
  const protocol = server.protocol!;
  await server.close();
  await expect(protocol.decodeRest(ID, Buffer.from(inferBody(pixels, 0, 1)), undefined)).rejects.toThrow(
    'the worker pool is closed',
  );
});
