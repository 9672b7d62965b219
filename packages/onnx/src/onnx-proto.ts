/**
 * The ONNX protobuf messages, generated from the official `onnx.proto` (IR version 14) by
 * protoc-gen-es (@bufbuild/protobuf 2.x): int64 fields are `bigint`, bytes are `Uint8Array`
 * views into the decoded buffer (large `raw_data` is not copied on read).
 */
export {
  type AttributeProto,
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  type GraphProto,
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  type OperatorSetIdProto,
  OperatorSetIdProtoSchema,
  type StringStringEntryProto,
  StringStringEntryProtoSchema,
  type TensorProto,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorProtoSchema,
  type TensorShapeProto,
  type TensorShapeProto_Dimension,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  type TypeProto,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from './gen/onnx_pb.js';
