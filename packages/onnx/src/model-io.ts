import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { InvalidFileError } from '@pcee/core';
import { type ModelProto, ModelProtoSchema } from './onnx-proto.js';

/** Protobuf cannot encode a message of 2 GiB or more; larger models keep weights in external data. */
const PROTOBUF_LIMIT_BYTES = 2 ** 31;

/**
 * Decodes an ONNX `ModelProto`. Tensor `raw_data` stays a view into `bytes` (no copy), so keep
 * `bytes` unchanged while the model is in use. `source` names the file in error messages.
 *
 * @throws InvalidFileError when the bytes are not an ONNX model (not protobuf, or no graph or
 *   IR version), naming `source`.
 */
export function readModel(bytes: Uint8Array, source = 'model'): ModelProto {
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes, { readUnknownFields: false });
  } catch (error) {
    throw notOnnx(source, (error as Error).message, error);
  }
  if (model.irVersion <= 0n || !model.graph) {
    throw notOnnx(source, 'it has no IR version or no graph');
  }
  return model;
}

/**
 * Encodes a `ModelProto` to bytes.
 *
 * @throws InvalidFileError when the encoding would reach protobuf's 2 GiB limit.
 */
export function writeModel(model: ModelProto, target = 'model'): Uint8Array {
  const bytes = toBinary(ModelProtoSchema, model);
  if (bytes.byteLength >= PROTOBUF_LIMIT_BYTES) {
    throw new InvalidFileError(
      `${target} would be ${(bytes.byteLength / 2 ** 30).toFixed(2)} GiB, over protobuf's 2 GiB limit; choose more exits so each stage is smaller`,
    );
  }
  return bytes;
}

function notOnnx(source: string, reason: string, cause?: unknown): InvalidFileError {
  return new InvalidFileError(
    `${source} is not an ONNX model (${reason}); export one with torch.onnx.export(model, example, "${source.endsWith('.onnx') ? source : 'model.onnx'}", opset_version=17)`,
    { cause },
  );
}
