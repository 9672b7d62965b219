import { create } from '@bufbuild/protobuf';
import { InvalidFileError } from '@pcee/core';
import {
  type GraphProto,
  type ModelProto,
  StringStringEntryProtoSchema,
  type TensorProto,
  TensorProto_DataLocation,
} from './onnx-proto.js';

/** Where one tensor's bytes live outside the model file. */
export interface ExternalDataReference {
  readonly tensor: string;
  /** File path relative to the model file's folder. */
  readonly location: string;
  /** Byte offset in that file (0 when not given). */
  readonly offset: number;
  /** Byte length (undefined: to the end of the file). */
  readonly length?: number;
}

/** Every tensor of the model (initializers and Constant values, subgraphs included) stored as external data. */
export function externalDataReferences(model: ModelProto): ExternalDataReference[] {
  return externalTensors(model).map((tensor) => reference(tensor));
}

/**
 * Loads every external-data tensor into the model itself (`raw_data`), so stages written from
 * it are self-contained. `readFile(location)` returns the bytes of a file named by the model
 * (relative to its folder), or undefined when there is none. Modifies `model` in place.
 *
 * @throws InvalidFileError when a file is missing or shorter than a tensor's offset + length.
 */
export function inlineExternalData(
  model: ModelProto,
  readFile: (location: string) => Uint8Array | undefined,
  source = 'the model',
): void {
  const files = new Map<string, Uint8Array | undefined>();
  for (const tensor of externalTensors(model)) {
    const { location, offset, length } = reference(tensor);
    if (!files.has(location)) files.set(location, readFile(location));
    const bytes = files.get(location);
    if (!bytes) {
      throw new InvalidFileError(
        `${source} keeps weight "${tensor.name}" in the external data file "${location}", which was not found; keep that file beside ${source} (as torch.onnx.export wrote it)`,
      );
    }
    const end = length === undefined ? bytes.byteLength : offset + length;
    if (end > bytes.byteLength) {
      throw new InvalidFileError(
        `external data file "${location}" has ${bytes.byteLength} bytes but weight "${tensor.name}" needs bytes ${offset}..${end}; the file is truncated or belongs to another export`,
      );
    }
    tensor.rawData = bytes.subarray(offset, end);
    tensor.dataLocation = TensorProto_DataLocation.DEFAULT;
    tensor.externalData = [];
  }
}

function reference(tensor: TensorProto): ExternalDataReference {
  const entry = (key: string) => tensor.externalData.find((item) => item.key === key)?.value;
  const length = entry('length');
  return {
    tensor: tensor.name,
    location: entry('location') ?? '',
    offset: Number(entry('offset') ?? 0),
    ...(length === undefined ? {} : { length: Number(length) }),
  };
}

function externalTensors(model: ModelProto): TensorProto[] {
  const found: TensorProto[] = [];
  const visit = (graph: GraphProto | undefined) => {
    if (!graph) return;
    const check = (tensor: TensorProto | undefined) => {
      if (tensor?.dataLocation === TensorProto_DataLocation.EXTERNAL) found.push(tensor);
    };
    graph.initializer.forEach(check);
    for (const sparse of graph.sparseInitializer) {
      check(sparse.values);
      check(sparse.indices);
    }
    for (const node of graph.node) {
      for (const attribute of node.attribute) {
        check(attribute.t);
        attribute.tensors.forEach(check);
        visit(attribute.g);
        attribute.graphs.forEach(visit);
      }
    }
  };
  visit(model.graph);
  return found;
}

/**
 * Moves the raw bytes of every main-graph initializer of at least `minimumBytes` into one
 * external data file named `location` (as torch.onnx.export does for models over protobuf's
 * 2 GiB limit) and returns that file's bytes. Modifies `model` in place. Each tensor starts
 * at a 4096-byte-aligned offset, as onnx's own writer does, so it can be memory-mapped.
 */
export function moveToExternalData(model: ModelProto, location: string, minimumBytes = 1024): Uint8Array {
  const moved = (model.graph?.initializer ?? []).filter(
    (tensor) =>
      tensor.dataLocation !== TensorProto_DataLocation.EXTERNAL && tensor.rawData.byteLength >= minimumBytes,
  );
  const align = (offset: number) => Math.ceil(offset / 4096) * 4096;
  let size = 0;
  const offsets = moved.map((tensor) => {
    const offset = align(size);
    size = offset + tensor.rawData.byteLength;
    return offset;
  });
  const file = new Uint8Array(size);
  moved.forEach((tensor, k) => {
    const entry = (key: string, value: string) => create(StringStringEntryProtoSchema, { key, value });
    file.set(tensor.rawData, offsets[k]!);
    tensor.externalData = [
      entry('location', location),
      entry('offset', String(offsets[k])),
      entry('length', String(tensor.rawData.byteLength)),
    ];
    tensor.dataLocation = TensorProto_DataLocation.EXTERNAL;
    tensor.rawData = new Uint8Array(0);
  });
  return file;
}
