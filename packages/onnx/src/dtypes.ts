import { MODEL_TENSOR_DTYPES, type ModelTensorDtype } from '@pcee/core';
import { TensorProto_DataType } from './onnx-proto.js';

/**
 * Element types by name. The first eight are the dtypes a PCEE model package can carry
 * between stages (`CarriedDtype`); the others can live inside a stage.
 */
export type OnnxDtype =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int64'
  | 'int32'
  | 'int8'
  | 'uint8'
  | 'bool'
  | 'bfloat16'
  | 'int16'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'string'
  | 'other';

/** The dtypes a model package's inputs and carried tensors may have (format v2): core's list. */
export type CarriedDtype = ModelTensorDtype;

const BY_ELEMENT_TYPE = new Map<number, OnnxDtype>([
  [TensorProto_DataType.FLOAT, 'float32'],
  [TensorProto_DataType.FLOAT16, 'float16'],
  [TensorProto_DataType.DOUBLE, 'float64'],
  [TensorProto_DataType.INT64, 'int64'],
  [TensorProto_DataType.INT32, 'int32'],
  [TensorProto_DataType.INT8, 'int8'],
  [TensorProto_DataType.UINT8, 'uint8'],
  [TensorProto_DataType.BOOL, 'bool'],
  [TensorProto_DataType.BFLOAT16, 'bfloat16'],
  [TensorProto_DataType.INT16, 'int16'],
  [TensorProto_DataType.UINT16, 'uint16'],
  [TensorProto_DataType.UINT32, 'uint32'],
  [TensorProto_DataType.UINT64, 'uint64'],
  [TensorProto_DataType.STRING, 'string'],
]);
const BY_NAME = new Map([...BY_ELEMENT_TYPE].map(([type, name]) => [name, type]));

/** Bytes per element of the fixed-size dtypes (0 for `string` and `other`). */
export const DTYPE_BYTES: Readonly<Record<OnnxDtype, number>> = {
  float32: 4,
  float16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int8: 1,
  uint8: 1,
  bool: 1,
  bfloat16: 2,
  int16: 2,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  string: 0,
  other: 0,
};

/** The dtype name of an ONNX `TensorProto.DataType` code (`'other'` for float8/int4/complex…). */
export function dtypeOfElementType(elementType: number): OnnxDtype {
  return BY_ELEMENT_TYPE.get(elementType) ?? 'other';
}

/** The ONNX `TensorProto.DataType` code of a dtype name (`UNDEFINED` for `'other'`). */
export function elementTypeOfDtype(dtype: OnnxDtype): number {
  return BY_NAME.get(dtype) ?? TensorProto_DataType.UNDEFINED;
}

/** Whether a model package can carry tensors of this dtype between stages. */
export function isCarriedDtype(dtype: OnnxDtype): dtype is CarriedDtype {
  return (MODEL_TENSOR_DTYPES as readonly string[]).includes(dtype);
}

/** Whether the dtype is a floating-point type (logits, weights). */
export function isFloatingDtype(dtype: OnnxDtype): boolean {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'float64' || dtype === 'bfloat16';
}
