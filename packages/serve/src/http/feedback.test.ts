import { parseProfile } from '@pcee/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../serve-server.js';
import { inferBody, testImages } from '../test-support/bundled-models.js';
import { outputData, postInfer, startTestServer } from '../test-support/test-server.js';

const ID = 'fmnist-cnn-small';
const { pixels, labels } = testImages(64);
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer(ID, { feedbackCapacity: 40, window: 30 });
});
afterAll(() => server?.close());

const feedback = async (body: unknown, model = ID) => {
  const response = await fetch(`${server.url}/v2/models/${model}/feedback`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
};
const calibration = async () => {
  const response = await fetch(`${server.url}/v2/models/${ID}/calibration`);
  return { status: response.status, text: await response.text() };
};
const metric = async (name: string) => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(`${name}{model="${ID}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
};

describe('label feedback', () => {
  it('echoes the request id, or assigns one', async () => {
    const given = await postInfer(server, ID, inferBody(pixels, 0, 2, { id: 'client-id-1' }));
    expect(given.json.id).toBe('client-id-1');
    const assigned = await postInfer(server, ID, inferBody(pixels, 0, 2));
    expect(assigned.json.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('takes labels for an answered request into the live reliability diagrams', async () => {
    expect(parseProfile((await calibration()).text).samples).toBe(0);
    const { json } = await postInfer(server, ID, inferBody(pixels, 0, 8, { id: 'eight' }));
    const answer = await feedback({ id: 'eight', labels: Array.from(labels.subarray(0, 8)) });
    expect(answer).toEqual({ status: 200, json: { id: 'eight', labelled: 8 } });

    const { status, text } = await calibration();
    expect(status).toBe(200);
    const live = parseProfile(text, 'GET /calibration');
    expect(live.samples).toBe(8);
    // Each sample counts at the exit it took; the correct ones are those predicted right.
    const exits = outputData(json, 'exit');
    const predictions = outputData(json, 'prediction');
    const counts = live.diagrams.map((diagram) => diagram.count.reduce((sum, value) => sum + value, 0));
    expect(counts.reduce((sum, value) => sum + value, 0)).toBe(live.samples);
    const right = predictions.filter((prediction, sample) => prediction === labels[sample]).length;
    const correct = live.diagrams.reduce(
      (sum, diagram) => sum + diagram.correct.reduce((a, b) => a + b, 0),
      0,
    );
    expect(correct).toBe(right);
    expect(Math.max(...exits)).toBeLessThan(live.diagrams.length);
    const point = (JSON.parse(text) as { operatingPoint: Record<string, unknown> }).operatingPoint;
    expect(point).toMatchObject({ policy: 'pcee', delta: 0.9, window: 30, feedbackCapacity: 40 });
    expect(point.profileHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await metric('pcee_feedback_samples_total')).toBeGreaterThanOrEqual(8);
  });

  it('keeps only the last --window labelled samples', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `window-${round}`;
      await postInfer(server, ID, inferBody(pixels, 8 * round, 8 * round + 8, { id }));
      expect(
        (await feedback({ id, labels: Array.from(labels.subarray(8 * round, 8 * round + 8)) })).status,
      ).toBe(200);
    }
    expect(parseProfile((await calibration()).text).samples).toBe(30);
    expect(await metric('pcee_live_window_samples')).toBe(30);
  });

  it.each([
    // A single feedback's messages carry no batch-entry prefix.
    ['an unknown id', { id: 'never-sent', labels: [0] }, 404, /^no answers held .*unknown or expired/],
    ['a wrong label count', { id: 'bad', labels: [0] }, 400, /had 2 samples but the feedback has 1 labels/],
    ['a label out of range', { id: 'bad', labels: [0, 10] }, 400, /not a class index in \[0, 9\]/],
    ['no labels', { id: 'bad' }, 400, /"labels" must be a non-empty array/],
    ['no id', { labels: [1, 2] }, 400, /"id" must be a non-empty string/],
    ['an unknown field', { id: 'bad', labels: [1, 2], extra: 1 }, 400, /unknown feedback field "extra"/],
  ])('answers %s with %i and one line, and changes nothing', async (_name, body, status, message) => {
    await postInfer(server, ID, inferBody(pixels, 0, 2, { id: 'bad' }));
    const before = (await calibration()).text;
    const answer = await feedback(body);
    expect(answer.status).toBe(status);
    expect(String(answer.json.error)).toMatch(message);
    expect(String(answer.json.error)).not.toContain('\n');
    expect((await calibration()).text).toBe(before);
  });

  it('takes the labels of several requests in one batch call', async () => {
    const window = async () => parseProfile((await calibration()).text).samples;
    await postInfer(server, ID, inferBody(pixels, 0, 2, { id: 'batch-a' }));
    await postInfer(server, ID, inferBody(pixels, 2, 5, { id: 'batch-b' }));
    const labelledBefore = await metric('pcee_feedback_samples_total');
    const answer = await feedback({
      feedback: [
        { id: 'batch-a', labels: Array.from(labels.subarray(0, 2)) },
        { id: 'batch-b', labels: Array.from(labels.subarray(2, 5)) },
      ],
    });
    expect(answer).toEqual({ status: 200, json: { requests: 2, labelled: 5 } });
    expect(await metric('pcee_feedback_samples_total')).toBe(labelledBefore + 5);
    expect(await window()).toBeGreaterThanOrEqual(5);
    expect((await feedback({ id: 'batch-b', labels: [0, 0, 0] })).status).toBe(409);
  });

  it.each([
    [
      'an unknown id in the second entry',
      [{ id: 'unknown', labels: [0] }],
      404,
      /^feedback entry 1: no answers held/,
    ],
    [
      'a wrong count in the second entry',
      [{ id: 'batch-ok', labels: [0] }],
      400,
      /^feedback entry 1: request "batch-ok" had 2 samples/,
    ],
    [
      'an id given twice',
      [{ id: 'batch-first', labels: [0, 0] }],
      400,
      /^feedback entry 1 repeats request id "batch-first"/,
    ],
    ['an entry that is not an object', [7], 400, /^feedback entry 1 must be a JSON object/],
  ])('refuses a batch with %s whole, labelling none of it', async (_name, second, status, message) => {
    await postInfer(server, ID, inferBody(pixels, 0, 2, { id: 'batch-first' }));
    await postInfer(server, ID, inferBody(pixels, 0, 2, { id: 'batch-ok' }));
    const before = (await calibration()).text;
    const answer = await feedback({ feedback: [{ id: 'batch-first', labels: [0, 0] }, ...second] });
    expect(answer.status).toBe(status);
    expect(String(answer.json.error)).toMatch(message);
    expect((await calibration()).text).toBe(before);
    // The first entry was not taken: its labels are still welcome.
    expect((await feedback({ id: 'batch-first', labels: [0, 0] })).status).toBe(200);
  });

  it('answers feedback twice for one id with 409', async () => {
    await postInfer(server, ID, inferBody(pixels, 0, 1, { id: 'twice' }));
    expect((await feedback({ id: 'twice', labels: [0] })).status).toBe(200);
    const again = await feedback({ id: 'twice', labels: [0] });
    expect(again.status).toBe(409);
    expect(String(again.json.error)).toMatch(/already had feedback/);
  });

  it('expires the oldest answers past --feedback-capacity, and counts them', async () => {
    const expiredBefore = await metric('pcee_feedback_expired_samples_total');
    await postInfer(server, ID, inferBody(pixels, 0, 30, { id: 'old' }));
    await postInfer(server, ID, inferBody(pixels, 0, 30, { id: 'new' }));
    expect((await feedback({ id: 'old', labels: Array.from(labels.subarray(0, 30)) })).status).toBe(404);
    expect(await metric('pcee_feedback_expired_samples_total')).toBeGreaterThanOrEqual(expiredBefore + 30);
    const point = (JSON.parse((await calibration()).text) as { operatingPoint: { feedbackHeld: number } })
      .operatingPoint;
    expect(point.feedbackHeld).toBeLessThanOrEqual(40);
  });

  it('names the served models for an unknown one', async () => {
    const answer = await feedback({ id: 'x', labels: [0] }, 'nope');
    expect(answer.status).toBe(404);
    expect(String(answer.json.error)).toMatch(/the models are: fmnist-cnn-small/);
  });
});

describe('accuracy monitor on label feedback', () => {
  const { pixels: images, labels: truth } = testImages(1024);
  let monitored: RunningServer;
  const warnings: string[] = [];
  beforeAll(async () => {
    monitored = await startTestServer(ID, {
      targetAccuracy: 0.99,
      risk: 0.05,
      // The monitor alone; the safe modes and recalibration are tested in violation-response.test.ts.
      onViolation: 'alert',
      logger: { level: 'warn', stream: { write: (line: string) => warnings.push(line) } },
    });
  });
  afterAll(() => monitored?.close());
  const status = async () =>
    (
      (await (await fetch(`${monitored.url}/v2/models/${ID}/calibration`)).json()) as {
        operatingPoint: { monitor: Record<string, unknown> };
      }
    ).operatingPoint.monitor;
  const send = async (
    id: string,
    from: number,
    to: number,
    labelsOf: (json: Record<string, unknown>) => number[],
  ) => {
    const { json } = await postInfer(monitored, ID, inferBody(images, from, to, { id }));
    const response = await fetch(`${monitored.url}/v2/models/${ID}/feedback`, {
      method: 'POST',
      body: JSON.stringify({ id, labels: labelsOf(json) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(200);
  };

  it('is off without a target', async () => {
    const response = await fetch(`${server.url}/v2/models/${ID}/calibration`);
    expect(
      ((await response.json()) as { operatingPoint: { monitor: unknown } }).operatingPoint.monitor,
    ).toEqual({
      state: 'off',
    });
  });

  it('stays quiet while every answer is right', async () => {
    for (let batch = 0; batch < 4; batch++) {
      await send(`right-${batch}`, batch * 64, batch * 64 + 64, (json) => outputData(json, 'prediction'));
    }
    expect(await status()).toMatchObject({ state: 'ok', samples: 256, accuracy: 1, targetAccuracy: 0.99 });
  });

  it('fires, logs one line and sets the gauge once the true labels show accuracy below the target', async () => {
    for (let batch = 4; batch < 16; batch++) {
      await send(`true-${batch}`, batch * 64, batch * 64 + 64, () =>
        Array.from(truth.subarray(batch * 64, batch * 64 + 64)),
      );
    }
    const monitor = await status();
    expect(monitor.state).toBe('violated');
    expect(monitor.firedAt).toBeGreaterThan(256);
    expect(monitor.logWealth as number).toBeGreaterThanOrEqual(Math.log(1 / 0.05));
    const fired = warnings.filter((line) => line.includes('accuracy monitor'));
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatch(/below the target 0.99/);
    const metrics = await (await fetch(`${monitored.url}/metrics`)).text();
    expect(metrics).toContain(`pcee_accuracy_monitor_violated{model="${ID}"} 1`);
  });
});
