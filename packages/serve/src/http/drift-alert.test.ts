import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../serve-server.js';
import { inferBody, testImages } from '../test-support/bundled-models.js';
import { postInfer, startTestServer } from '../test-support/test-server.js';

const ID = 'fmnist-cnn-small';
const logs: Record<string, unknown>[] = [];
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer(ID, {
    driftWindow: 500,
    logger: { level: 'warn', stream: { write: (line: string) => void logs.push(JSON.parse(line)) } },
  });
});
afterAll(() => server?.close());

const metric = async (pattern: RegExp) => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(pattern.exec(text)?.[1]);
};

it('stays quiet on test images, then logs drift once when the inputs shift (inverted images)', async () => {
  const { pixels } = testImages(1000);
  for (let start = 0; start < 1000; start += 100) {
    expect((await postInfer(server, ID, inferBody(pixels, start, start + 100))).status).toBe(200);
  }
  expect(logs.filter((entry) => String(entry.msg).startsWith('drift:'))).toEqual([]);
  expect(await metric(/pcee_drift_psi\{model="[^"]+",signal="exit_share",exit=""\} (\S+)/)).toBeLessThan(0.1);
  // Negative images: dark garments on a white background, far from anything calibrated.
  const inverted = pixels.map((value) => 255 - value);
  for (let round = 0; round < 2; round++) {
    for (let start = 0; start < 1000; start += 100) {
      expect((await postInfer(server, ID, inferBody(inverted, start, start + 100))).status).toBe(200);
    }
  }
  const alerts = logs.filter((entry) => String(entry.msg).startsWith('drift:'));
  const firstConfidence = alerts.filter(
    (entry) => (entry.signal as { kind: string }).kind === 'first-confidence',
  );
  expect(firstConfidence).toHaveLength(1);
  expect(firstConfidence[0]!.msg).toMatch(
    /confidence at exit 0 of model "fmnist-cnn-small" moved away from calibration \(PSI \d/,
  );
  expect(
    await metric(/pcee_drift_psi\{model="[^"]+",signal="first_confidence",exit=""\} (\S+)/),
  ).toBeGreaterThan(0.25);
});
