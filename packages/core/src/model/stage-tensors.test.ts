import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors/index.js';
import { MODEL_TENSOR_DTYPES, type ModelTensorDtype } from './model-manifest-types.js';
import { allocateStageData, concatRows, gatherRows, type StageTensor, sliceRows } from './stage-tensors.js';

const dtypes = MODEL_TENSOR_DTYPES;

function tensorOf(dtype: ModelTensorDtype, dims: number[]): StageTensor {
  const length = dims.reduce((product, dimension) => product * dimension, 1);
  const data = allocateStageData(dtype, length);
  for (let index = 0; index < length; index++) {
    if (data instanceof BigInt64Array) data[index] = BigInt(index);
    else data[index] = dtype === 'bool' ? index % 2 : index % 100;
  }
  return { dtype, data, shape: dims };
}

const row = (tensor: StageTensor, index: number) => {
  const size = tensor.data.length / tensor.shape[0]!;
  return [...tensor.data.subarray(index * size, (index + 1) * size)];
};

describe('rows of stage tensors, every dtype', () => {
  it.each(dtypes)('%s: gather keeps the storage type and the chosen rows', (dtype) => {
    const tensor = tensorOf(dtype, [6, 2, 3]);
    const gathered = gatherRows(tensor, Int32Array.from([4, 1, 5]), 3);
    expect(gathered.dtype).toBe(dtype);
    expect(gathered.data.constructor).toBe(tensor.data.constructor);
    expect(gathered.shape).toEqual([3, 2, 3]);
    expect([row(gathered, 0), row(gathered, 1), row(gathered, 2)]).toEqual([
      row(tensor, 4),
      row(tensor, 1),
      row(tensor, 5),
    ]);
  });

  it.each(dtypes)('%s: slices then concatenated give back the tensor', (dtype) => {
    const tensor = tensorOf(dtype, [7, 3]);
    const joined = concatRows([sliceRows(tensor, 0, 2), sliceRows(tensor, 2, 3), sliceRows(tensor, 3, 7)]);
    expect(joined.shape).toEqual([7, 3]);
    expect([...joined.data]).toEqual([...tensor.data]);
  });

  it('gather of any row list equals the rows picked one by one (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 20 }), (picked) => {
        const tensor = tensorOf('int64', [10, 4]);
        const gathered = gatherRows(tensor, Int32Array.from(picked), picked.length);
        for (const [index, source] of picked.entries())
          expect(row(gathered, index)).toEqual(row(tensor, source));
      }),
    );
  });

  it.each([
    [
      'another dtype',
      tensorOf('int32', [2, 3]),
      /cannot batch tensor 1 \(int32 \[2, 3\]\) with int64 \[N, 3\]/,
    ],
    ['another sample shape', tensorOf('int64', [2, 4]), /cannot batch tensor 1 \(int64 \[2, 4\]\)/],
  ])('concat refuses a part of %s, naming it', (_, other, message) => {
    expect(() => concatRows([tensorOf('int64', [2, 3]), other])).toThrow(InvalidInputError);
    expect(() => concatRows([tensorOf('int64', [2, 3]), other])).toThrow(message);
  });
});
