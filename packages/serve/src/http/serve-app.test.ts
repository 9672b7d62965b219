import { compilePolicy, manifestCosts, type RunResult, runEarlyExit, type TensorMap } from '@pcee/core';
import { modelDir } from '@pcee/models';
import { nodeRuntime, openModelPackage } from '@pcee/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../serve-server.js';
import { bundledProfile, inferBody, preprocessedImages, testImages } from '../test-support/bundled-models.js';
import { outputData, postInfer, startTestServer } from '../test-support/test-server.js';

const ID = 'fmnist-cnn-large';
const IMAGES = 96;
const { pixels } = testImages(IMAGES);
let server: RunningServer;
let reference: RunResult;
let images: TensorMap;
let abstainedReference: Uint8Array;
let exits = 0;

beforeAll(async () => {
  server = await startTestServer(ID, { maxBatch: 16, maxDelayMs: 2 });
  const modelPackage = await openModelPackage(modelDir(ID));
  images = preprocessedImages(modelPackage.manifest, pixels, IMAGES);
  exits = modelPackage.manifest.stages.length;
  const model = await nodeRuntime.load(modelPackage, { device: 'cpu' });
  const profile = bundledProfile(ID);
  reference = await runEarlyExit(model, images, {
    policy: compilePolicy(profile, 'pcee', 0.9),
    confidence: profile.confidence,
    costs: manifestCosts(modelPackage.manifest),
  });
  abstainedReference = (
    await runEarlyExit(model, images, {
      policy: compilePolicy(profile, 'pcee', 0.97),
      confidence: profile.confidence,
      costs: manifestCosts(modelPackage.manifest),
      abstain: true,
    })
  ).abstained;
  await model.dispose();
});
afterAll(() => server?.close());

const get = async (path: string) => {
  const response = await fetch(`${server.url}${path}`);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
};

describe('health and metadata', () => {
  it.each([
    ['/v2/health/live', { live: true }],
    ['/v2/health/ready', { ready: true }],
    [`/v2/models/${ID}/ready`, { name: ID, ready: true }],
    ['/v2', { name: 'pcee', extensions: ['binary_tensor_data'] }],
  ])('GET %s', async (path, body) => {
    const { status, json } = await get(path);
    expect(status).toBe(200);
    expect(json).toMatchObject(body);
  });

  it('describes the model: inputs and outputs with datatype and shape', async () => {
    const { status, json } = await get(`/v2/models/${ID}`);
    expect(status).toBe(200);
    expect(json).toMatchObject({
      name: ID,
      inputs: [{ name: 'image', datatype: 'UINT8', shape: [-1, 1, 28, 28] }],
      parameters: { exits, policy: 'pcee', delta: 0.9 },
    });
    expect(
      (json.outputs as { name: string; datatype: string }[]).map((output) => [output.name, output.datatype]),
    ).toEqual([
      ['prediction', 'INT64'],
      ['exit', 'INT32'],
      ['confidence', 'FP32'],
      ['estimated_accuracy', 'FP32'],
      ['abstained', 'BOOL'],
      ['logits', 'FP32'],
    ]);
    const version = (json.versions as string[])[0]!;
    expect((await get(`/v2/models/${ID}/versions/${version}`)).status).toBe(200);
    expect((await get(`/v2/models/${ID}/versions/${version}/ready`)).status).toBe(200);
  });

  it.each([
    ['/v2/models/nope', /no model named "nope" is served here; the models are: fmnist-cnn-large/],
    ['/v2/models/nope/ready', /no model named "nope"/],
    [`/v2/models/${ID}/versions/7`, /has no version "7"; the version served is/],
    ['/v3/models', /no route GET \/v3\/models/],
  ])('GET %s is a 404 naming the fix', async (path, message) => {
    const { status, json } = await get(path);
    expect(status).toBe(404);
    expect(json.error).toMatch(message);
  });
});

describe('inference', () => {
  it('answers concurrent requests of mixed sizes exactly as runEarlyExit', async () => {
    const sizes = [1, 7, 3, 16, 2, 9, 5, 1, 12, 4, 8, 6, 11, 10, 1];
    const requests: Promise<{ start: number; size: number; json: Record<string, unknown> }>[] = [];
    for (let start = 0, index = 0; start < IMAGES; index++) {
      const size = Math.min(sizes[index % sizes.length]!, IMAGES - start);
      const from = start;
      requests.push(
        postInfer(server, ID, inferBody(pixels, from, from + size, { id: `r${index}` })).then(
          ({ status, json }) => {
            expect(status).toBe(200);
            expect(json.id).toBe(`r${index}`);
            return { start: from, size, json };
          },
        ),
      );
      start += size;
    }
    for (const { start, size, json } of await Promise.all(requests)) {
      expect(outputData(json, 'exit')).toEqual(Array.from(reference.exit.subarray(start, start + size)));
      expect(outputData(json, 'prediction')).toEqual(
        Array.from(reference.prediction.subarray(start, start + size)),
      );
      expect(outputData(json, 'confidence')).toEqual(
        Array.from(reference.confidence.subarray(start, start + size)),
      );
      const accuracy = Array.from(reference.estimatedAccuracy.subarray(start, start + size), (value) =>
        Number.isNaN(value) ? -1 : value,
      );
      expect(outputData(json, 'estimated_accuracy')).toEqual(accuracy);
    }
  });

  it('sends the protocol response shape, and logits only when asked', async () => {
    const plain = await postInfer(server, ID, inferBody(pixels, 0, 3));
    expect(plain.json).toMatchObject({ model_name: ID, parameters: { policy: 'pcee', delta: 0.9 } });
    expect(typeof plain.json.id).toBe('string');
    expect(
      (plain.json.outputs as { name: string; shape: number[] }[]).map((output) => [
        output.name,
        output.shape,
      ]),
    ).toEqual([
      ['prediction', [3]],
      ['exit', [3]],
      ['confidence', [3]],
      ['estimated_accuracy', [3]],
    ]);
    const withLogits = await postInfer(
      server,
      ID,
      inferBody(pixels, 0, 3, { outputs: [{ name: 'logits' }, { name: 'exit' }] }),
    );
    const outputs = withLogits.json.outputs as { name: string; shape: number[]; data: number[] }[];
    expect(outputs.map((output) => output.name)).toEqual(['exit', 'logits']);
    expect(outputs[1]!.shape).toEqual([3, 10]);
    expect(outputs[1]!.data).toHaveLength(30);
  });

  it('takes FP32 as already preprocessed: same answers as the UINT8 pixels', async () => {
    const body = JSON.stringify({
      inputs: [
        {
          name: 'image',
          shape: [4, 1, 28, 28],
          datatype: 'FP32',
          data: Array.from((images.image!.data as Float32Array).subarray(0, 4 * 784)),
        },
      ],
    });
    const { status, json } = await postInfer(server, ID, body);
    expect(status).toBe(200);
    expect(outputData(json, 'exit')).toEqual(Array.from(reference.exit.subarray(0, 4)));
    expect(outputData(json, 'confidence')).toEqual(Array.from(reference.confidence.subarray(0, 4)));
  });

  it('accepts nested data and a body sent without a JSON content type (curl -d)', async () => {
    const nested = Array.from({ length: 2 }, (_, sample) =>
      Array.from({ length: 28 }, (_, row) =>
        Array.from(pixels.subarray(sample * 784 + row * 28, sample * 784 + row * 28 + 28)),
      ),
    );
    const body = JSON.stringify({
      inputs: [{ name: 'image', shape: [2, 28, 28], datatype: 'UINT8', data: nested }],
    });
    const { status, json } = await postInfer(server, ID, body, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(status).toBe(200);
    expect(outputData(json, 'exit')).toEqual(Array.from(reference.exit.subarray(0, 2)));
  });

  it('abstains on request: samples reaching the last exit below δ are marked, as runEarlyExit marks them', async () => {
    const body = inferBody(pixels, 0, IMAGES, { parameters: { delta: 0.97, abstain: true } });
    const { status, json } = await postInfer(server, ID, body);
    expect(status).toBe(200);
    expect(json.parameters).toMatchObject({ delta: 0.97, abstain: true });
    const abstained = outputData(json, 'abstained') as unknown as boolean[];
    expect(abstained).toEqual(Array.from(abstainedReference, (flag) => flag === 1));
    expect(abstained.some(Boolean)).toBe(true);
  });

  it('lets a request choose δ and the policy', async () => {
    const eager = await postInfer(
      server,
      ID,
      inferBody(pixels, 0, 16, { parameters: { delta: 0, policy: 'confidence' } }),
    );
    expect(eager.status).toBe(200);
    expect(outputData(eager.json, 'exit').every((exit) => exit === 0)).toBe(true);
    expect(eager.json.parameters).toMatchObject({ policy: 'confidence', delta: 0 });
    const strict = await postInfer(server, ID, inferBody(pixels, 0, 16, { parameters: { delta: 1 } }));
    // δ = 1: no bin of an intermediate exit has perfect validation accuracy, so every sample runs to the end.
    expect(outputData(strict.json, 'exit').every((exit) => exit === exits - 1)).toBe(true);
    expect(strict.json.parameters).toMatchObject({ relative_cost: expect.any(Number) });
  });
});

describe('bad requests are 4xx with one clear line, while good ones still succeed', () => {
  const good = inferBody(pixels, 0, 4);
  const nanBody = `{"inputs":[{"name":"image","shape":[1,2],"datatype":"FP32","data":[NaN, 1]}]}`;

  it.each<[string, () => Promise<{ status: number; json: Record<string, unknown> }>, number, RegExp]>([
    ['malformed JSON', () => postInfer(server, ID, '{"inputs": [ {"name": "image",'), 400, /not valid JSON/],
    [
      'a NaN literal (Python json.dumps)',
      () => postInfer(server, ID, nanBody),
      400,
      /NaN and Infinity are not JSON/,
    ],
    ['an empty body', () => postInfer(server, ID, ''), 400, /empty|not valid JSON/],
    [
      'wrong datatype',
      () => postInfer(server, ID, good.replace('"UINT8"', '"INT32"')),
      400,
      /datatype "INT32"; model "fmnist-cnn-large" takes UINT8/,
    ],
    [
      'NaN pixels as strings',
      () =>
        postInfer(
          server,
          ID,
          JSON.stringify({
            inputs: [
              {
                name: 'image',
                shape: [1, 28, 28],
                datatype: 'FP32',
                data: [0.5, 'NaN', ...new Array(782).fill(0)],
              },
            ],
          }),
        ),
      400,
      /value 1 of input "image" is "NaN"/,
    ],
    [
      'pixels over 255',
      () => postInfer(server, ID, good.replace(/"data":\[\d+/, '"data":[300')),
      400,
      /is 300, not an integer in \[0, 255\]/,
    ],
    [
      'an unknown model',
      () => postInfer(server, 'fmnist-cnn-huge', good),
      404,
      /no model named "fmnist-cnn-huge"/,
    ],
    [
      'an unknown parameter',
      () => postInfer(server, ID, inferBody(pixels, 0, 1, { parameters: { temperature: 2 } })),
      400,
      /unknown request parameter "temperature"/,
    ],
    [
      'too many samples in one request',
      () => postInfer(server, ID, inferBody(testImages(300).pixels, 0, 300)),
      413,
      /300 samples, over this server's limit of 256/,
    ],
    [
      'a 100 MB body',
      () => postInfer(server, ID, `{"inputs":[${' '.repeat(100 * 1024 * 1024)}]}`),
      413,
      /over this server's limit of 8 MiB/,
    ],
  ])('%s', async (_name, send, status, message) => {
    // Good requests run alongside the bad one; every one of them must succeed.
    const alongside = Array.from({ length: 6 }, () => postInfer(server, ID, good));
    const bad = await send();
    expect(bad.status).toBe(status);
    expect(Object.keys(bad.json)).toEqual(['error']);
    expect(bad.json.error).toMatch(message);
    expect(String(bad.json.error)).not.toContain('\n');
    for (const response of await Promise.all(alongside)) {
      expect(response.status).toBe(200);
      expect(outputData(response.json, 'exit')).toEqual(Array.from(reference.exit.subarray(0, 4)));
    }
  });
});

describe('metrics', () => {
  it('exports request, exit, batch, queue, compute and drift metrics in Prometheus format', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    for (const line of [
      `pcee_requests_total{model="${ID}",protocol="rest",code="200"}`,
      `pcee_requests_total{model="${ID}",protocol="rest",code="400"}`,
      `pcee_request_duration_seconds_bucket{le="0.1",model="${ID}",protocol="rest"}`,
      `pcee_samples_total{model="${ID}",exit="0"}`,
      `pcee_stage_batch_size_bucket{le="16",model="${ID}",stage="0"}`,
      `pcee_queue_depth{model="${ID}",stage="5"} 0`,
      `pcee_in_flight_samples{model="${ID}"} 0`,
      `pcee_compute_saved_ratio{model="${ID}"}`,
      `pcee_drift_exit_share{model="${ID}",exit="0",source="reference"}`,
      `pcee_drift_window_samples{model="${ID}"}`,
    ]) {
      expect(text).toContain(line);
    }
    const saved = Number(/pcee_compute_saved_ratio\{[^}]*\} (\S+)/.exec(text)![1]);
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThan(1);
  });
});
