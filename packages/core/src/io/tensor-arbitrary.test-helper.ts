/** Test support (not a test file): fast-check arbitraries shared by the io tests. */
import fc from 'fast-check';
import { createTensor, elementCount, TENSOR_DTYPES, type Tensor, type TensorDtype } from './tensor.js';

/** Arbitrary tensors of every dtype .npy can hold, values exactly representable in it. */
export const tensorArbitrary = (dtypes: readonly TensorDtype[]): fc.Arbitrary<Tensor> =>
  fc
    .record({
      dtype: fc.constantFrom(...dtypes),
      shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
      seed: fc.integer(),
    })
    .map(({ dtype, shape, seed }) => {
      const count = elementCount(shape);
      // Integers in [-100, 100), exactly representable in every dtype after the scaling below.
      const values = Array.from(
        { length: count },
        (_, index) => ((((seed + index * 7919) % 200) + 200) % 200) - 100,
      );
      const data = {
        float16: () => Float32Array.from(values, (value) => value / 4),
        // bfloat16 keeps 8 significant bits: |value| ≤ 100 halves fit exactly.
        bfloat16: () => Float32Array.from(values, (value) => value / 2),
        float32: () => Float32Array.from(values, (value) => value / 3),
        float64: () => Float64Array.from(values, (value) => value / 3),
        int8: () => Int8Array.from(values),
        int16: () => Int16Array.from(values, (value) => value * 300),
        int32: () => Int32Array.from(values, (value) => value * 20_000_000),
        int64: () => BigInt64Array.from(values, (value) => (BigInt(value) * 2n ** 60n) / 128n),
        uint8: () => Uint8Array.from(values, (value) => value + 100),
        uint16: () => Uint16Array.from(values, (value) => (value + 100) * 300),
        uint32: () => Uint32Array.from(values, (value) => (value + 100) * 20_000_000),
        uint64: () => BigUint64Array.from(values, (value) => BigInt(value + 100) * 2n ** 56n),
        bool: () => Uint8Array.from(values, (value) => value & 1),
      }[dtype]();
      return createTensor(dtype, shape, data);
    });

/** Every dtype .npy can hold (all but bfloat16). */
export const NPY_DTYPES: readonly TensorDtype[] = TENSOR_DTYPES.filter((dtype) => dtype !== 'bfloat16');
