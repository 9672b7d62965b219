// Measures: the server's protocol work per request (decode, validate, encode) over JSON, binary REST and gRPC.
// What each transport costs the server per request, apart from inference: decode and validate a
// request of N Fashion-MNIST images (JSON text, binary-extension body, gRPC message bytes) into
// the same InferRequest, then encode a default answer. One process, no server, no model runs:
// the protocol work alone, in µs per request and per image. Interleaved rounds, median.
// Run: node bench/decode.bench.mjs (after building @pcee/serve); PCEE_BENCH_IMAGES=1,16,64.
import { readFileSync } from 'node:fs';
import { readNpz } from '@pcee/core';
import { testInputsPath } from '@pcee/models';
import {
  binarySectionInputs,
  loadOipGrpcService,
  NO_RAW_INPUTS,
  parseInferRequest,
  splitBinaryBody,
} from '@pcee/serve';
import { median, printJson, printTable } from '../../../scripts/bench/bench-kit.mjs';

const IMAGES = (process.env.PCEE_BENCH_IMAGES ?? '1,16,64').split(',').map(Number);
const ROUNDS = 5;
const MILLISECONDS = 300;
const pixels = readNpz(new Uint8Array(readFileSync(testInputsPath()))).get('x').data;
const model = {
  name: 'fmnist-cnn-large',
  version: 'v',
  inputs: [{ name: 'image', dtype: 'float32', rawDtype: 'uint8', shape: [-1, 1, 28, 28] }],
  classes: Array.from({ length: 10 }, (_, index) => String(index)),
  exits: 6,
  baseline: false,
};
const limits = { maxSamples: 256, policies: ['pcee'], deltaRange: [0, 1] };
const Service = loadOipGrpcService();
const { requestDeserialize, requestSerialize } = Service.service.ModelInfer;

/** Per transport: a function that decodes one request body as the server does. */
function transports(images) {
  const data = pixels.subarray(0, images * 784);
  const input = { name: 'image', shape: [images, 28, 28], datatype: 'UINT8' };
  const json = Buffer.from(JSON.stringify({ inputs: [{ ...input, data: Array.from(data) }] }));
  const header = Buffer.from(
    JSON.stringify({ inputs: [{ ...input, parameters: { binary_data_size: data.length } }] }),
  );
  const binary = Buffer.concat([header, data]);
  const grpc = requestSerialize({
    model_name: model.name,
    inputs: [input],
    raw_input_contents: [Buffer.from(data)],
  });
  return {
    json: () => {
      const { header: body } = splitBinaryBody(json, undefined);
      return parseInferRequest(body, model, limits, NO_RAW_INPUTS);
    },
    binary: () => {
      const { header: body, section } = splitBinaryBody(binary, String(header.length));
      return parseInferRequest(body, model, limits, binarySectionInputs(section));
    },
    grpc: () => {
      const message = requestDeserialize(grpc);
      const body = { inputs: message.inputs.map(({ name, shape, datatype }) => ({ name, shape, datatype })) };
      return parseInferRequest(body, model, limits, {
        take: (position) => message.raw_input_contents[position],
        finish() {},
      });
    },
    bytes: { json: json.length, binary: binary.length, grpc: grpc.length },
  };
}

const rows = [];
for (const images of IMAGES) {
  const { bytes, ...decoders } = transports(images);
  const times = Object.fromEntries(Object.keys(decoders).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, decode] of Object.entries(decoders)) {
      let count = 0;
      const started = performance.now();
      while (performance.now() - started < MILLISECONDS) {
        decode();
        count++;
      }
      times[name].push(((performance.now() - started) * 1000) / count);
    }
  }
  for (const name of Object.keys(decoders)) {
    const perRequest = median(times[name]);
    rows.push({
      images,
      transport: name,
      bodyBytes: bytes[name],
      microsecondsPerRequest: perRequest,
      microsecondsPerImage: perRequest / images,
    });
  }
}
printTable(
  `protocol work per request (median of ${ROUNDS} rounds)`,
  ['images', 'transport', 'body bytes', 'µs/request', 'µs/image'],
  rows.map((row) => [
    row.images,
    row.transport,
    row.bodyBytes,
    row.microsecondsPerRequest.toFixed(1),
    row.microsecondsPerImage.toFixed(2),
  ]),
);
printJson('decode', { rounds: ROUNDS, rows });
