// The request bodies the protocol benchmarks (decode, dispatch) send: N Fashion-MNIST test
// images as an OIP v2 request in JSON, in the binary tensor extension, and as a gRPC message,
// for a model served like fmnist-cnn-large (uint8 images, preprocessed by the server).
import { readFileSync } from 'node:fs';
import { readNpz } from '@pcee/core';
import { testInputsPath } from '@pcee/models';
import { loadOipGrpcService } from '@pcee/serve';

const pixels = readNpz(new Uint8Array(readFileSync(testInputsPath()))).get('x').data;

/** The served model the bodies are for, as the server describes it to its decoders. */
export const benchModel = {
  name: 'fmnist-cnn-large',
  version: 'v',
  inputs: [{ name: 'image', dtype: 'float32', rawDtype: 'uint8', shape: [-1, 1, 28, 28] }],
  classes: Array.from({ length: 10 }, (_, index) => String(index)),
  exits: 6,
  baseline: false,
};

/** The request limits the decoders check against. */
export const benchLimits = { maxSamples: 256, policies: ['pcee'], deltaRange: [0, 1] };

/** The OIP gRPC service definition (its ModelInfer (de)serializers). */
export const GrpcService = loadOipGrpcService();

/** One request of the first `images` test images, per transport, as bytes on the wire. */
export function requestBodies(images) {
  const data = pixels.subarray(0, images * 784);
  const input = { name: 'image', shape: [images, 28, 28], datatype: 'UINT8' };
  const header = Buffer.from(
    JSON.stringify({ inputs: [{ ...input, parameters: { binary_data_size: data.length } }] }),
  );
  return {
    json: Buffer.from(JSON.stringify({ inputs: [{ ...input, data: Array.from(data) }] })),
    binary: Buffer.concat([header, data]),
    binaryHeaderLength: String(header.length),
    grpc: GrpcService.service.ModelInfer.requestSerialize({
      model_name: benchModel.name,
      inputs: [input],
      raw_input_contents: [Buffer.from(data)],
    }),
  };
}
