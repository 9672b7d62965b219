// Measures: the server's protocol work per request (decode, validate, encode) over JSON, binary REST and gRPC.
// What each transport costs the server per request, apart from inference: decode and validate a
// request of N Fashion-MNIST images (JSON text, binary-extension body, gRPC message bytes) into
// the same InferRequest, then encode a default answer. One process, no server, no model runs:
// the protocol work alone, in µs per request and per image. Interleaved rounds, median.
// Run: node bench/decode.bench.mjs (after building @pcee/serve); PCEE_BENCH_IMAGES=1,16,64.
import { binarySectionInputs, NO_RAW_INPUTS, parseInferRequest, splitBinaryBody } from '@pcee/serve';
import { median, printJson, printTable } from '../../../scripts/bench/bench-kit.mjs';
import { benchLimits, benchModel, GrpcService, requestBodies } from './request-bodies.mjs';

const IMAGES = (process.env.PCEE_BENCH_IMAGES ?? '1,16,64').split(',').map(Number);
const ROUNDS = 5;
const MILLISECONDS = 300;
const model = benchModel;
const limits = benchLimits;
const { requestDeserialize } = GrpcService.service.ModelInfer;

/** Per transport: a function that decodes one request body as the server does. */
function transports(images) {
  const { json, binary, binaryHeaderLength, grpc } = requestBodies(images);
  return {
    json: () => {
      const { header: body } = splitBinaryBody(json, undefined);
      return parseInferRequest(body, model, limits, NO_RAW_INPUTS);
    },
    binary: () => {
      const { header: body, section } = splitBinaryBody(binary, binaryHeaderLength);
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
