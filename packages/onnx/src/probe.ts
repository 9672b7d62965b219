import { create } from '@bufbuild/protobuf';
import { BATCH } from './batch-axis.js';
import type { OnnxDtype } from './dtypes.js';
import type { ModelInput } from './model-inputs.js';
import { type ModelProto, ValueInfoProtoSchema } from './onnx-proto.js';
import { withChanges } from './proto-copy.js';
import type { Dimension, TensorType } from './tensor-types.js';

/**
 * The model with every node output added to its graph outputs, so one run fetches every
 * intermediate tensor (onnxruntime cannot otherwise return them). The added outputs carry no
 * declared type; onnxruntime infers it.
 */
export function withIntermediateOutputs(model: ModelProto): ModelProto {
  const graph = model.graph!;
  const existing = new Set(graph.output.map((output) => output.name));
  const added = graph.node
    .flatMap((node) => node.output)
    .filter((name) => name !== '' && !existing.has(name))
    .map((name) => create(ValueInfoProtoSchema, { name }));
  return withChanges(model, { graph: withChanges(graph, { output: [...graph.output, ...added] }) });
}

/** One probe run: the size given to every symbolic dimension, and what every tensor came out as. */
export interface ProbeRun {
  /** Size of each symbol in this run; the batch is `"batch"` whatever the inputs call it. */
  readonly symbols: Readonly<Record<string, number>>;
  /** dtype and dims of every fetched tensor (inputs included). */
  readonly tensors: ReadonlyMap<string, { readonly dtype: OnnxDtype; readonly dims: readonly number[] }>;
}

/**
 * Symbol sizes for two probe runs that tell symbolic from static dimensions: the batch is 1
 * then 2; the k-th other symbol (e.g. `"sequence"`) is 8 + k then 13 + 2k, small so probing
 * is cheap and distinct so sizes are not confused.
 */
export function probeSymbolSizes(
  inputs: readonly ModelInput[],
): [Record<string, number>, Record<string, number>] {
  const first: Record<string, number> = { [BATCH]: 1 };
  const second: Record<string, number> = { [BATCH]: 2 };
  let k = 0;
  for (const input of inputs) {
    for (const dimension of input.shape.slice(1)) {
      if (typeof dimension !== 'string' || dimension in first) continue;
      first[dimension] = 8 + k;
      second[dimension] = 13 + 2 * k;
      k++;
    }
  }
  return [first, second];
}

/** The concrete shape of `input` for `symbols` (its first dimension is the batch). */
export function concreteShape(input: ModelInput, symbols: Readonly<Record<string, number>>): number[] {
  return input.shape.map((dimension, axis) =>
    axis === 0 ? symbols[BATCH]! : typeof dimension === 'number' ? dimension : symbols[dimension]!,
  );
}

/**
 * Tensor types with symbolic dimensions from two probe runs with different symbol sizes: a
 * dimension equal in both runs is static; one that follows a symbol (or a product of two, as
 * a `[batch*sequence, d]` reshape) is named after it (`"batch"`, `"sequence"`,
 * `"batch*sequence"`); any other dimension that changes is named `<tensor>:<axis>`. A tensor
 * whose rank changes has an unknown shape.
 */
export function probeTensorTypes(first: ProbeRun, second: ProbeRun): Map<string, TensorType> {
  const symbols = Object.keys(first.symbols);
  const candidates: [string, number, number][] = symbols.map((s) => [
    s,
    first.symbols[s]!,
    second.symbols[s]!,
  ]);
  for (const a of symbols) {
    for (const b of symbols) {
      if (a < b || a === b) continue;
      candidates.push([
        `${b}*${a}`,
        first.symbols[a]! * first.symbols[b]!,
        second.symbols[a]! * second.symbols[b]!,
      ]);
    }
  }
  const types = new Map<string, TensorType>();
  for (const [name, one] of first.tensors) {
    const two = second.tensors.get(name);
    if (!two || two.dims.length !== one.dims.length) {
      types.set(name, { dtype: one.dtype });
      continue;
    }
    const shape = one.dims.map((size, axis): Dimension => {
      const other = two.dims[axis]!;
      if (size === other) return size;
      const match = candidates.find(([, a, b]) => a === size && b === other);
      return match ? match[0] : `${name}:${axis}`;
    });
    types.set(name, { dtype: one.dtype, shape });
  }
  return types;
}
