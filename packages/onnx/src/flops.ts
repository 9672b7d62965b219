import { InvalidArgumentError } from '@pcee/core';
import type { GraphIndex } from './graph-index.js';
import type { NodeProto } from './onnx-proto.js';
import { elementCount } from './tensor-types.js';

/**
 * Shapes by tensor name for ONE sample (a batch of 1), e.g. from a probe run that fetched
 * every intermediate tensor. Initializer and Constant shapes need not be included.
 */
export type ShapeMap = ReadonlyMap<string, readonly number[]>;

/** The operators whose FLOPs are counted (see `nodeFlops`). */
const COUNTED = new Set([
  'Conv',
  'ConvInteger',
  'QLinearConv',
  'ConvTranspose',
  'Gemm',
  'MatMul',
  'MatMulInteger',
  'QLinearMatMul',
]);

/** Whether FLOPs are counted for this operator type (see `nodeFlops`). */
export function flopCountingOp(opType: string): boolean {
  return COUNTED.has(opType);
}

/**
 * FLOPs of one node for the shapes given, counting one multiply-add as 2 FLOPs (the rule of
 * the bundled models' analytic counts, `packages/models/training/flops.py`):
 *
 * - `Conv` (and `ConvInteger`, `QLinearConv`): `2 · |W| · Π(output spatial) · N`, with
 *   `|W| = C_out · C_in/groups · Π(kernel)` the weight's element count;
 * - `ConvTranspose`: `2 · |W| · Π(input spatial) · N` (each input pixel scatters the kernel);
 * - `Gemm`: `2 · M · N · K`;
 * - `MatMul` (and `MatMulInteger`, `QLinearMatMul`), batched with broadcasting, which covers
 *   linear layers on tokens and attention's `QKᵀ` and `AV`: `2 · |output| · K`.
 *
 * Everything else counts 0: bias additions, normalisation, activations, softmax, pooling,
 * residual additions, reshapes (negligible next to the above, and hardware-dependent).
 *
 * @throws InvalidArgumentError when a shape the count needs is missing.
 */
export function nodeFlops(
  node: NodeProto,
  shapeOf: (tensor: string) => readonly number[] | undefined,
): number {
  if (!COUNTED.has(node.opType) || node.domain !== '') return 0;
  const need = (position: number) => {
    const name = node.input[position] ?? '';
    const shape = name === '' ? undefined : shapeOf(name);
    if (!shape) throw missingShape(node, name || `input ${position}`);
    return shape;
  };
  const output = () => {
    const shape = shapeOf(node.output[0]!);
    if (!shape) throw missingShape(node, node.output[0]!);
    return shape;
  };
  switch (node.opType) {
    case 'Conv':
    case 'ConvInteger': {
      const out = output();
      return 2 * elementCount(need(1)) * elementCount(out.slice(2)) * (out[0] ?? 1);
    }
    case 'QLinearConv': {
      const out = output();
      return 2 * elementCount(need(3)) * elementCount(out.slice(2)) * (out[0] ?? 1);
    }
    case 'ConvTranspose': {
      const input = need(0);
      return 2 * elementCount(need(1)) * elementCount(input.slice(2)) * (input[0] ?? 1);
    }
    case 'Gemm': {
      const a = need(0);
      const transposeA = node.attribute.find((attribute) => attribute.name === 'transA')?.i === 1n;
      const k = transposeA ? a[0]! : a[1]!;
      return 2 * elementCount(output()) * k;
    }
    case 'MatMul':
    case 'MatMulInteger':
      return 2 * elementCount(output()) * need(0).at(-1)!;
    case 'QLinearMatMul':
      return 2 * elementCount(output()) * need(0).at(-1)!;
    default:
      return 0;
  }
}

/**
 * A shape lookup over `shapes`, falling back to the graph's initializers and Constant values.
 */
export function shapeLookup(
  index: GraphIndex,
  shapes: ShapeMap,
): (tensor: string) => readonly number[] | undefined {
  const constantShapes = new Map<string, readonly number[]>();
  for (const node of index.nodes) {
    if (node.opType !== 'Constant' || node.domain !== '') continue;
    const value = node.attribute.find((attribute) => attribute.name === 'value')?.t;
    if (value) constantShapes.set(node.output[0]!, value.dims.map(Number));
  }
  return (tensor) =>
    shapes.get(tensor) ??
    (index.initializers.get(tensor)?.dims.map(Number) as readonly number[] | undefined) ??
    constantShapes.get(tensor);
}

/** Sum of `nodeFlops` over `nodes` (source-graph indices) for one sample. */
export function countFlops(index: GraphIndex, nodes: Iterable<number>, shapes: ShapeMap): number {
  const shapeOf = shapeLookup(index, shapes);
  let total = 0;
  for (const node of nodes) total += nodeFlops(index.nodes[node]!, shapeOf);
  return total;
}

function missingShape(node: NodeProto, tensor: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `no shape for tensor "${tensor}" of ${node.opType} node "${node.name || node.output[0]}"; pass the shapes of every intermediate tensor from a probe run with a batch of 1`,
  );
}
