/** Reading and writing tensors and traces: npy, npz, safetensors, float16/bfloat16. */
export { narrowBfloat16, widenBfloat16 } from './bfloat16.js';
export { HOST_IS_LITTLE_ENDIAN, swapBytes } from './byte-order.js';
export { crc32 } from './crc32.js';
export { float16BitsToNumber, narrowFloat16, numberToFloat16Bits, widenFloat16 } from './float16.js';
export { NPY_MAGIC, readNpy, writeNpy } from './npy.js';
export {
  isZip,
  type NamedTensors,
  type ReadNpzOptions,
  readNpz,
  type WriteNpzOptions,
  writeNpz,
} from './npz.js';
export { type ReadTracesOptions, readTraces, tracesFromTensors } from './read-traces.js';
export {
  readSafetensors,
  type SafetensorsContents,
  type WriteSafetensorsOptions,
  writeSafetensors,
} from './safetensors.js';
export {
  createTensor,
  elementCount,
  FLOAT_DTYPES,
  INTEGER_DTYPES,
  sliceBatch,
  storedBytesOf,
  TENSOR_DTYPES,
  type Tensor,
  type TensorArrayConstructor,
  type TensorData,
  type TensorDtype,
  tensorArrayOf,
} from './tensor.js';
export { decodeTensorData, encodeTensorData } from './tensor-bytes.js';
export { type TracesFormat, writeTraces } from './write-traces.js';
