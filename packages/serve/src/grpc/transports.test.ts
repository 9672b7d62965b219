import { status } from '@grpc/grpc-js';
import { modelDir } from '@pcee/models';
import { openModelPackage } from '@pcee/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../serve-server.js';
import { binaryInferBody, decodeRestResponse, postBinary } from '../test-support/binary-client.js';
import { inferBody, preprocessedImages, testImages } from '../test-support/bundled-models.js';
import {
  grpcInferRequest,
  grpcResponseAsJson,
  type OipGrpcClient,
  oipGrpcClient,
} from '../test-support/grpc-client.js';
import { post } from '../test-support/http-client.js';
import { outputData, startTestServer } from '../test-support/test-server.js';
import { WORKER_MODES } from '../test-support/worker-modes.js';

const ID = 'fmnist-cnn-small';
const IMAGES = 64;
const { pixels, labels } = testImages(IMAGES);
const ALL_OUTPUTS = ['prediction', 'exit', 'confidence', 'estimated_accuracy', 'abstained', 'logits'];
describe.each(WORKER_MODES)('protocol work $mode', ({ options }) => {
  let server: RunningServer;
  let grpc: OipGrpcClient;

  beforeAll(async () => {
    server = await startTestServer(ID, { grpcPort: 0, maxBatch: 16, ...options });
    grpc = oipGrpcClient(server.grpcAddress!);
  });
  afterAll(async () => {
    grpc?.close();
    await server?.close();
  });

  const infer = `/v2/models/${ID}/infer`;
  const postJson = async (body: string) => {
    const response = await post(`${server.url}${infer}`, body);
    return { status: response.status, json: JSON.parse(response.text) as Record<string, unknown> };
  };
  const modelInfer = (request: Record<string, unknown>) => grpc.call('ModelInfer', request);

  /** Outputs with FP32 values rounded to float32: JSON carries the doubles the server computed, binary and gRPC the FP32 bytes. */
  const asFloat32 = (json: Record<string, unknown>) =>
    (json.outputs as { name: string; datatype: string; shape: number[]; data: (number | boolean)[] }[]).map(
      (output) => ({
        ...output,
        data:
          output.datatype === 'FP32' ? output.data.map((value) => Math.fround(value as number)) : output.data,
      }),
    );

  describe('JSON, binary and gRPC answer alike', () => {
    it('gives identical answers for the same samples (every output, concurrent requests of mixed sizes)', async () => {
      const sizes = [1, 7, 3, 16, 2, 9, 5, 1, 12, 8];
      const parameters = { delta: 0.97, abstain: true };
      const outputs = ALL_OUTPUTS.map((name) => ({ name }));
      const checks: Promise<void>[] = [];
      for (let start = 0, index = 0; start < IMAGES; index++) {
        const from = start;
        const to = Math.min(IMAGES, start + sizes[index % sizes.length]!);
        start = to;
        const id = `same-${index}`;
        checks.push(
          (async () => {
            const [json, binary, viaGrpc] = await Promise.all([
              postJson(inferBody(pixels, from, to, { id, parameters, outputs })),
              (async () => {
                const { body, headerLength } = binaryInferBody(pixels, from, to, {
                  id,
                  parameters: { ...parameters, binary_data_output: true },
                  outputs,
                });
                const response = await postBinary(`${server.url}${infer}`, body, headerLength);
                expect(response.status).toBe(200);
                expect(response.headers['content-type']).toBe('application/octet-stream');
                return decodeRestResponse(response);
              })(),
              modelInfer(grpcInferRequest(ID, pixels, from, to, { id, parameters, outputs: ALL_OUTPUTS })),
            ]);
            expect(json.status).toBe(200);
            if (!viaGrpc.ok) throw new Error(viaGrpc.details);
            const grpcJson = grpcResponseAsJson(viaGrpc.response);
            for (const other of [binary, grpcJson]) {
              expect(other.id).toBe(id);
              expect(other.model_name).toBe(ID);
              expect(other.parameters).toEqual(json.json.parameters);
              expect(asFloat32(other)).toEqual(asFloat32(json.json));
            }
            // Exits, classes and abstentions are exact on every transport.
            expect(outputData(grpcJson, 'exit')).toEqual(outputData(json.json, 'exit'));
          })(),
        );
      }
      await Promise.all(checks);
    });

    it('answers a JSON request in binary when asked (binary_data_output), and a binary request in JSON by default', async () => {
      const binaryOut = await postJson(inferBody(pixels, 0, 2)).then(async (plain) => {
        const response = await postBinary(
          `${server.url}${infer}`,
          Buffer.from(
            inferBody(pixels, 0, 2, {
              outputs: [{ name: 'exit', parameters: { binary_data: true } }, { name: 'prediction' }],
            }),
          ),
          // A JSON body is its own header: no binary section follows.
          Buffer.byteLength(
            inferBody(pixels, 0, 2, {
              outputs: [{ name: 'exit', parameters: { binary_data: true } }, { name: 'prediction' }],
            }),
          ),
        );
        return { plain, response };
      });
      expect(binaryOut.response.status).toBe(200);
      const decoded = decodeRestResponse(binaryOut.response);
      expect(outputData(decoded, 'exit')).toEqual(outputData(binaryOut.plain.json, 'exit'));
      expect(outputData(decoded, 'prediction')).toEqual(outputData(binaryOut.plain.json, 'prediction'));
      const { body, headerLength } = binaryInferBody(pixels, 0, 2, { parameters: {} });
      const jsonOut = await postBinary(`${server.url}${infer}`, body, headerLength);
      expect(jsonOut.headers['content-type']).toMatch(/application\/json/);
      expect(outputData(JSON.parse(jsonOut.body.toString()), 'exit')).toEqual(
        outputData(binaryOut.plain.json, 'exit'),
      );
    });
  });

  it('takes FP32 (already preprocessed) as binary bytes: the same answers as the UINT8 pixels', async () => {
    const { manifest } = await openModelPackage(modelDir(ID));
    const floats = preprocessedImages(manifest, pixels, 4).image!.data as Float32Array;
    const bytes = Buffer.from(new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength));
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          {
            name: 'image',
            shape: [4, 1, 28, 28],
            datatype: 'FP32',
            parameters: { binary_data_size: bytes.byteLength },
          },
        ],
      }),
    );
    const response = await postBinary(
      `${server.url}${infer}`,
      Buffer.concat([header, bytes]),
      header.byteLength,
    );
    expect(response.status).toBe(200);
    const pixelsAnswer = await postJson(inferBody(pixels, 0, 4));
    expect(outputData(decodeRestResponse(response), 'exit')).toEqual(outputData(pixelsAnswer.json, 'exit'));
    expect(outputData(decodeRestResponse(response), 'confidence')).toEqual(
      outputData(pixelsAnswer.json, 'confidence'),
    );
  });

  describe('bad binary bodies are one 400 each, while good requests succeed', () => {
    const good = binaryInferBody(pixels, 0, 4);
    const header = (text: Record<string, unknown>) => Buffer.from(JSON.stringify(text));
    const image = (parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      inputs: [{ name: 'image', shape: [1, 28, 28], datatype: 'UINT8', parameters, ...extra }],
    });
    const withSection = (json: Buffer, bytes: number) => ({
      body: Buffer.concat([json, Buffer.alloc(bytes)]),
      headerLength: json.byteLength as number | string,
    });
    it.each<[string, () => { body: Buffer; headerLength: number | string }, RegExp]>([
      [
        'a truncated binary section',
        () => withSection(header(image({ binary_data_size: 784 })), 500),
        /declares binary_data_size 784 at byte 0 of the binary section, but the section has only 500 bytes/,
      ],
      [
        'a header length past the body',
        () => ({ body: good.body.subarray(0, 100), headerLength: good.headerLength }),
        /Inference-Header-Content-Length is \d+ but the body has only 100 bytes/,
      ],
      [
        'a header length that is not a number',
        () => ({ body: good.body, headerLength: 'twelve' }),
        /Inference-Header-Content-Length is "twelve"/,
      ],
      ['a header length that cuts the JSON', () => ({ body: good.body, headerLength: 20 }), /not valid JSON/],
      [
        'a size that does not fit the shape',
        () => withSection(header(image({ binary_data_size: 783 })), 783),
        /has 783 bytes of binary data, but shape \[1, 28, 28\] of UINT8 needs 784/,
      ],
      [
        'an unknown datatype',
        () => withSection(header(image({ binary_data_size: 784 }, { datatype: 'BF16' })), 784),
        /datatype "BF16" \(datatypes are upper case/,
      ],
    ])('%s', async (_name, make, message) => {
      const alongside = Array.from({ length: 4 }, () =>
        postBinary(`${server.url}${infer}`, good.body, good.headerLength),
      );
      const { body, headerLength } = make();
      const bad = await postBinary(`${server.url}${infer}`, body, headerLength);
      expect(bad.status).toBe(400);
      const json = JSON.parse(bad.body.toString()) as Record<string, unknown>;
      expect(Object.keys(json)).toEqual(['error']);
      expect(json.error).toMatch(message);
      expect(String(json.error)).not.toContain('\n');
      for (const response of await Promise.all(alongside)) expect(response.status).toBe(200);
    });
  });

  describe('gRPC', () => {
    it('answers health and metadata as the REST API does', async () => {
      expect(await grpc.call('ServerLive', {})).toMatchObject({ ok: true, response: { live: true } });
      expect(await grpc.call('ServerReady', {})).toMatchObject({ ok: true, response: { ready: true } });
      expect(await grpc.call('ModelReady', { name: ID })).toMatchObject({
        ok: true,
        response: { ready: true },
      });
      expect(await grpc.call('ServerMetadata', {})).toMatchObject({
        ok: true,
        response: { name: 'pcee', extensions: ['binary_tensor_data'] },
      });
      const metadata = await grpc.call('ModelMetadata', { name: ID });
      expect(metadata).toMatchObject({
        ok: true,
        response: { name: ID, inputs: [{ name: 'image', datatype: 'UINT8', shape: [-1, 1, 28, 28] }] },
      });
      const rest = (await (await fetch(`${server.url}/v2/models/${ID}`)).json()) as { versions: string[] };
      expect(metadata.ok && metadata.response.versions).toEqual(rest.versions);
    });

    it('takes typed contents and δ as a numeric string (clients built from KServe’s proto have no double_param)', async () => {
      const request = {
        ...grpcInferRequest(ID, pixels, 0, 3, { parameters: { delta: '0.97' } }),
        raw_input_contents: [],
      } as Record<string, unknown>;
      (request.inputs as Record<string, unknown>[])[0]!.contents = {
        uint_contents: Array.from(pixels.subarray(0, 3 * 784)),
      };
      const typed = await modelInfer(request);
      const raw = await modelInfer(grpcInferRequest(ID, pixels, 0, 3, { parameters: { delta: 0.97 } }));
      if (!typed.ok || !raw.ok) throw new Error('call failed');
      expect(grpcResponseAsJson(typed.response).outputs).toEqual(grpcResponseAsJson(raw.response).outputs);
      expect(grpcResponseAsJson(typed.response).parameters).toMatchObject({ delta: 0.97 });
    });

    it('gives every answer an id, and its labels come back through REST feedback', async () => {
      const answered = await modelInfer(grpcInferRequest(ID, pixels, 0, 5));
      if (!answered.ok) throw new Error(answered.details);
      const id = answered.response.id as string;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const response = await fetch(`${server.url}/v2/models/${ID}/feedback`, {
        method: 'POST',
        body: JSON.stringify({ id, labels: Array.from(labels.subarray(0, 5)) }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ id, labelled: 5 });
    });

    const tooBig = () => grpcInferRequest(ID, testImages(300).pixels, 0, 300);
    it.each<[string, () => Record<string, unknown>, status, RegExp]>([
      [
        'an unknown model',
        () => grpcInferRequest('fmnist-cnn-huge', pixels, 0, 1),
        status.NOT_FOUND,
        /no model named "fmnist-cnn-huge"/,
      ],
      [
        'an unknown version',
        () => ({ ...grpcInferRequest(ID, pixels, 0, 1), model_version: '7' }),
        status.NOT_FOUND,
        /has no version "7"/,
      ],
      [
        'raw contents that do not fit the shape',
        () => ({ ...grpcInferRequest(ID, pixels, 0, 2), raw_input_contents: [Buffer.alloc(784)] }),
        status.INVALID_ARGUMENT,
        /has 784 bytes of binary data, but shape \[2, 28, 28\] of UINT8 needs 1568/,
      ],
      [
        'an unknown datatype',
        () => {
          const request = grpcInferRequest(ID, pixels, 0, 1);
          (request.inputs as Record<string, unknown>[])[0]!.datatype = 'FP8';
          return request;
        },
        status.INVALID_ARGUMENT,
        /datatype "FP8"/,
      ],
      [
        'more raw contents than inputs',
        () => ({
          ...grpcInferRequest(ID, pixels, 0, 1),
          raw_input_contents: [Buffer.alloc(784), Buffer.alloc(784)],
        }),
        status.INVALID_ARGUMENT,
        /raw_input_contents has 2 entries for 1 inputs/,
      ],
      [
        'contents in the wrong field',
        () => {
          const request = { ...grpcInferRequest(ID, pixels, 0, 1), raw_input_contents: [] } as Record<
            string,
            unknown
          >;
          (request.inputs as Record<string, unknown>[])[0]!.contents = {
            fp32_contents: new Array(784).fill(0),
          };
          return request;
        },
        status.INVALID_ARGUMENT,
        /is UINT8 but its contents are in fp32_contents/,
      ],
      [
        'no data at all',
        () => ({ ...grpcInferRequest(ID, pixels, 0, 1), raw_input_contents: [] }),
        status.INVALID_ARGUMENT,
        /has no contents and the request has no raw_input_contents/,
      ],
      [
        'δ out of range',
        () => grpcInferRequest(ID, pixels, 0, 1, { parameters: { delta: 2 } }),
        status.INVALID_ARGUMENT,
        /parameter "delta" is 2/,
      ],
      ['too many samples', tooBig, status.INVALID_ARGUMENT, /300 samples, over this server's limit of 256/],
      [
        'a message over the body limit',
        () => ({ ...grpcInferRequest(ID, pixels, 0, 1), raw_input_contents: [Buffer.alloc(9 * 2 ** 20)] }),
        status.RESOURCE_EXHAUSTED,
        /larger than max/,
      ],
    ])('%s is one gRPC error, while good calls succeed', async (_name, make, code, message) => {
      const alongside = Array.from({ length: 4 }, () => modelInfer(grpcInferRequest(ID, pixels, 0, 4)));
      const bad = await modelInfer(make());
      expect(bad.ok).toBe(false);
      if (bad.ok) return;
      expect(status[bad.code]).toBe(status[code]);
      expect(bad.details).toMatch(message);
      expect(bad.details).not.toContain('\n');
      for (const outcome of await Promise.all(alongside)) expect(outcome.ok).toBe(true);
    });

    it('counts calls in pcee_requests_total with protocol "grpc" by gRPC status, and samples with the REST ones', async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain(`pcee_requests_total{model="${ID}",protocol="grpc",code="OK"}`);
      expect(text).toContain(`pcee_requests_total{model="${ID}",protocol="grpc",code="INVALID_ARGUMENT"}`);
      expect(text).toContain(`pcee_request_duration_seconds_bucket{le="0.1",model="${ID}",protocol="grpc"}`);
    });

    it('drains on close: admitted calls complete, later ones are UNAVAILABLE, readiness turns false', async () => {
      const admitted = Array.from({ length: 8 }, (_, index) =>
        modelInfer(grpcInferRequest(ID, pixels, index * 8, index * 8 + 8)),
      );
      // Let the calls reach the server before it starts draining.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const closing = server.close();
      const late = await modelInfer(grpcInferRequest(ID, pixels, 0, 1));
      expect(late.ok).toBe(false);
      if (!late.ok) expect(status[late.code]).toBe('UNAVAILABLE');
      for (const outcome of await Promise.all(admitted)) expect(outcome.ok).toBe(true);
      await closing;
    });
  });
});
