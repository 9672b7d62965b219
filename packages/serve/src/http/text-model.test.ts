import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  calibrate,
  compilePolicy,
  manifestCosts,
  modelFingerprint,
  preprocessModelInputs,
  readNpz,
  runEarlyExit,
  tracesFromTensors,
} from '@pcee/core';
import { FIXTURE_PACKAGES_FOLDER } from '@pcee/onnx/testing';
import { nodeRuntime, openModelPackage } from '@pcee/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../serve-server.js';
import { decodeRestResponse, postBinary } from '../test-support/binary-client.js';
import { grpcResponseAsJson, oipGrpcClient } from '../test-support/grpc-client.js';
import { outputData, postInfer } from '../test-support/test-server.js';

// A model with two int64 inputs and a mask carried to every stage (the BERT-style test model
// split by `pcee split`), served over OIP: requests name both inputs as INT64, and the answers
// equal runEarlyExit's on the same samples whatever the batching.
const folder = join(
  dirname(createRequire(import.meta.url).resolve('@pcee/onnx/package.json')),
  FIXTURE_PACKAGES_FOLDER,
  'tiny-bert',
);
const reference = readNpz(new Uint8Array(readFileSync(join(folder, 'reference.npz'))));
const ids = reference.get('input_ids')!;
const mask = reference.get('attention_mask')!;
const [samples, sequence] = ids.shape as [number, number];
const DELTA = 0.6;
let server: RunningServer;
let expected: { prediction: Int32Array; exit: Int32Array };

beforeAll(async () => {
  const modelPackage = await openModelPackage(folder);
  const profile = calibrate(tracesFromTensors(reference), {
    costs: manifestCosts(modelPackage.manifest),
    model: { id: modelPackage.manifest.id, fingerprint: modelFingerprint(modelPackage.manifest) },
  });
  const model = await nodeRuntime.load(modelPackage, { device: 'cpu' });
  expected = await runEarlyExit(model, preprocessModelInputs(modelPackage.manifest, reference), {
    policy: compilePolicy(profile, 'pcee', DELTA),
    confidence: profile.confidence,
    costs: manifestCosts(modelPackage.manifest),
  });
  await model.dispose();
  server = await startServer({
    models: [{ dir: folder, profile }],
    delta: DELTA,
    host: '127.0.0.1',
    port: 0,
    logger: false,
    maxBatch: 8,
    maxDelayMs: 1,
    grpcPort: 0,
  });
});
afterAll(() => server?.close());

/** An OIP body for samples `[from, to)`: both inputs as INT64 `[n, sequence]`. */
function textBody(from: number, to: number): string {
  const rows = (data: BigInt64Array) => Array.from(data.subarray(from * sequence, to * sequence), Number);
  return JSON.stringify({
    inputs: [
      {
        name: 'input_ids',
        shape: [to - from, sequence],
        datatype: 'INT64',
        data: rows(ids.data as BigInt64Array),
      },
      {
        name: 'attention_mask',
        shape: [to - from, sequence],
        datatype: 'INT64',
        data: rows(mask.data as BigInt64Array),
      },
    ],
  });
}

describe('serving a two-input int64 text model (tiny-bert, split by pcee split)', () => {
  it('describes both inputs as INT64 with a free sequence dimension', async () => {
    const json = (await (await fetch(`${server.url}/v2/models/tiny-bert`)).json()) as Record<string, unknown>;
    expect(
      (json.inputs as { name: string; datatype: string }[]).map((input) => [input.name, input.datatype]),
    ).toEqual([
      ['input_ids', 'INT64'],
      ['attention_mask', 'INT64'],
    ]);
  });

  it('answers concurrent requests of mixed sizes exactly as runEarlyExit does', async () => {
    const bounds: [number, number][] = [];
    for (let start = 0, size = 1; start < samples; start += size, size = (size % 5) + 1) {
      bounds.push([start, Math.min(samples, start + size)]);
    }
    const responses = await Promise.all(
      bounds.map(([from, to]) => postInfer(server, 'tiny-bert', textBody(from, to))),
    );
    responses.forEach((response, index) => {
      const [from, to] = bounds[index]!;
      expect(response.status, JSON.stringify(response.json)).toBe(200);
      expect(outputData(response.json, 'exit')).toEqual([...expected.exit.subarray(from, to)]);
      expect(outputData(response.json, 'prediction')).toEqual([...expected.prediction.subarray(from, to)]);
    });
    expect(new Set(expected.exit).size).toBeGreaterThan(1);
  });

  it('answers both INT64 inputs sent as raw bytes (binary REST and gRPC), read in input order, as runEarlyExit', async () => {
    const [from, to] = [3, 9];
    const rows = (data: BigInt64Array) =>
      Buffer.from(new Uint8Array(data.slice(from * sequence, to * sequence).buffer));
    const bytes = [rows(ids.data as BigInt64Array), rows(mask.data as BigInt64Array)];
    const inputs = ['input_ids', 'attention_mask'].map((name, index) => ({
      name,
      shape: [to - from, sequence],
      datatype: 'INT64',
      parameters: { binary_data_size: bytes[index]!.byteLength },
    }));
    // The mask second: swapping the two sections would answer differently (or fail).
    const header = Buffer.from(JSON.stringify({ inputs, parameters: { binary_data_output: true } }));
    const binary = decodeRestResponse(
      await postBinary(
        `${server.url}/v2/models/tiny-bert/infer`,
        Buffer.concat([header, ...bytes]),
        header.byteLength,
      ),
    );
    const client = oipGrpcClient(server.grpcAddress!);
    const viaGrpc = await client.call('ModelInfer', {
      model_name: 'tiny-bert',
      inputs: inputs.map(({ parameters: _parameters, ...input }) => input),
      raw_input_contents: bytes,
    });
    client.close();
    if (!viaGrpc.ok) throw new Error(viaGrpc.details);
    for (const answer of [binary, grpcResponseAsJson(viaGrpc.response)]) {
      expect(outputData(answer, 'exit')).toEqual([...expected.exit.subarray(from, to)]);
      expect(outputData(answer, 'prediction')).toEqual([...expected.prediction.subarray(from, to)]);
    }
  });

  it('refuses a request that names only one of the two inputs, naming the missing one', async () => {
    const body = JSON.parse(textBody(0, 2));
    body.inputs = body.inputs.slice(0, 1);
    const response = await postInfer(server, 'tiny-bert', JSON.stringify(body));
    expect(response.status).toBe(400);
    expect(response.json.error).toMatch(/attention_mask/);
  });
});
