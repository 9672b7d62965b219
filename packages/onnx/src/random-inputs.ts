import { createTensor, seededRandom, type Tensor, tensorArrayOf } from '@pcee/core';
import { indexGraph } from './graph-index.js';
import type { ModelInput } from './model-inputs.js';
import type { ModelProto } from './onnx-proto.js';
import { concreteShape } from './probe.js';
import { elementCount } from './tensor-types.js';

/** Operators an index passes through unchanged on its way to a `Gather` (casts and reshapes). */
const INDEX_PASS_THROUGH = new Set([
  'Cast',
  'Reshape',
  'Unsqueeze',
  'Squeeze',
  'Flatten',
  'Identity',
  'Expand',
]);

/**
 * For each integer model input used as `Gather` indices into a weight (token ids into an
 * embedding table), the table's row count: valid values are `0 ≤ id < rows`. Inputs read
 * through casts and reshapes are followed.
 */
export function indexLimits(model: ModelProto): Map<string, number> {
  const index = indexGraph(model);
  const consumers = new Map<string, number[]>();
  index.nodes.forEach((node, position) => {
    for (const name of node.input) consumers.set(name, [...(consumers.get(name) ?? []), position]);
  });
  const limits = new Map<string, number>();
  for (const input of index.inputs) {
    const pending = [input.name];
    const seen = new Set<string>();
    while (pending.length > 0) {
      const name = pending.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      for (const position of consumers.get(name) ?? []) {
        const node = index.nodes[position]!;
        if (node.opType === 'Gather' && node.input[1] === name) {
          const rows = index.initializers.get(node.input[0]!)?.dims[0];
          if (rows !== undefined) {
            const limit = Number(rows);
            limits.set(input.name, Math.min(limits.get(input.name) ?? limit, limit));
          }
        } else if (INDEX_PASS_THROUGH.has(node.opType) && node.input[0] === name) {
          pending.push(node.output[0]!);
        }
      }
    }
  }
  return limits;
}

/**
 * Random inputs of the declared dtypes and shapes, sized by `symbols` (the batch is
 * `symbols.batch`): floats standard normal, integers uniform in `[0, limit)` for inputs with an
 * index limit (see `indexLimits`) and 0 or 1 otherwise (masks, token types), bools 0 or 1,
 * uint8 uniform in [0, 255]. Deterministic for a `seed`.
 */
export function randomInputs(
  inputs: readonly ModelInput[],
  symbols: Readonly<Record<string, number>>,
  limits: ReadonlyMap<string, number> = new Map(),
  seed = 1,
): Map<string, Tensor> {
  const random = seededRandom(seed);
  const result = new Map<string, Tensor>();
  for (const input of inputs) {
    const shape = concreteShape(input, symbols);
    const count = elementCount(shape);
    const data = new (tensorArrayOf(input.dtype))(count);
    const limit = limits.get(input.name) ?? 2;
    for (let k = 0; k < count; k++) {
      switch (input.dtype) {
        case 'float16':
        case 'float32':
        case 'float64': {
          // Box–Muller: a standard normal from two uniforms.
          const u = 1 - random();
          (data as Float32Array | Float64Array)[k] =
            Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
          break;
        }
        case 'int64':
          (data as BigInt64Array)[k] = BigInt(Math.floor(random() * limit));
          break;
        case 'uint8':
          (data as Uint8Array)[k] = limits.has(input.name)
            ? Math.floor(random() * limit)
            : Math.floor(random() * 256);
          break;
        default:
          (data as Int32Array | Int8Array | Uint8Array)[k] = Math.floor(random() * limit);
      }
    }
    result.set(input.name, createTensor(input.dtype, shape, data));
  }
  return result;
}
