import type { TensorDtype } from '@pcee/core';

/** Tensor element types of the Open Inference Protocol (`BYTES` is not supported here). */
export type OipDatatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64';

const TO_DTYPE: Record<OipDatatype, TensorDtype> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
};

/** Every OIP datatype this server reads, in a stable order (for messages). */
export const OIP_DATATYPES = Object.keys(TO_DTYPE) as OipDatatype[];

/** Whether `name` is an OIP datatype this server reads (case-sensitive, as the protocol says). */
export function isOipDatatype(name: unknown): name is OipDatatype {
  return typeof name === 'string' && Object.hasOwn(TO_DTYPE, name);
}

/** The in-memory dtype (`@pcee/core` `Tensor`) of an OIP datatype. */
export function dtypeOfOip(datatype: OipDatatype): TensorDtype {
  return TO_DTYPE[datatype];
}

/** The OIP datatype of a core dtype (`bfloat16` has none: it is widened to `FP32`). */
export function oipOfDtype(dtype: TensorDtype): OipDatatype {
  if (dtype === 'bfloat16') return 'FP32';
  return (Object.keys(TO_DTYPE) as OipDatatype[]).find((key) => TO_DTYPE[key] === dtype)!;
}
