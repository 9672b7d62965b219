import { InvalidArgumentError } from '@pcee/core';
import { isFloatingDtype } from './dtypes.js';
import { countFlops, type ShapeMap } from './flops.js';
import { ancestorNodes, type GraphIndex, indexGraph } from './graph-index.js';
import type { ModelProto } from './onnx-proto.js';
import type { TensorType, TensorTypes } from './tensor-types.js';

/** An inner tensor where an exit head can be attached: everything after it reads it alone. */
export interface CutPoint {
  /** The tensor's name. */
  readonly name: string;
  /** Its type with symbolic dimensions (the batch first). */
  readonly type: TensorType;
  /** FLOPs per sample of the nodes it depends on (see `nodeFlops` for the rule). */
  readonly flops: number;
  /** `flops` as a share of the whole output's FLOPs, in [0, 1]. */
  readonly share: number;
}

/**
 * The cut points of a single-output classifier: floating-point tensors `t` of rank 2 to 4
 * (`[batch, D]`, `[batch, T, D]`, `[batch, C, H, W]`) such that, once `t` is computed, the
 * rest of the graph up to `output` reads nothing computed earlier except `t`, constants and
 * *side tensors* (tensors that do not depend on the first graph input, such as an attention
 * mask derived from `attention_mask`). Every later node then depends on `t`, so a head on `t`
 * sees all the model has computed so far: block outputs qualify, a tensor inside a residual
 * block does not (the skip connection crosses it). Ordered by depth; `shapes` (one sample,
 * from a probe run) give the FLOPs.
 *
 * @throws InvalidArgumentError when `output` is not computed by the graph.
 */
export function listCutPoints(
  model: ModelProto,
  output: string,
  types: TensorTypes,
  shapes: ShapeMap,
): CutPoint[] {
  const index = indexGraph(model);
  if (!index.producer.has(output)) {
    throw new InvalidArgumentError(`no node computes "${output}"; name one of the graph's outputs`);
  }
  const main = mainDependent(index);
  // The nodes that matter: those the output needs, constants aside, in topological order.
  const needed = ancestorNodes(index, [output]);
  const order = index.order.filter((node) => needed.has(node) && !index.constant[node]);
  const position = new Map(order.map((node, k) => [node, k]));
  // Each main-dependent tensor is live from the position of its producer (-1 for the first
  // input) to the position of its last reader; a cut after position k has exactly one live one.
  const born = new Map<string, number>();
  const lastRead = new Map<string, number>();
  const first = index.inputs[0]?.name;
  if (first !== undefined) born.set(first, -1);
  for (const [k, node] of order.entries()) {
    for (const name of index.nodeInputs[node]!) {
      if (main.has(name)) lastRead.set(name, k);
    }
    for (const name of index.nodes[node]!.output) if (name !== '' && main.has(name)) born.set(name, k);
  }
  const live = new Int32Array(order.length + 1);
  for (const [name, start] of born) {
    const end = lastRead.get(name);
    if (end === undefined || end <= start) continue;
    live[start + 1]!++;
    live[end + 1]!--;
  }
  for (let k = 1; k < live.length; k++) live[k]! += live[k - 1]!;
  const total = countFlops(index, needed, shapes);
  const points: CutPoint[] = [];
  for (const [k, node] of order.entries()) {
    // live[k + 1] counts the tensors alive just after position k.
    if (live[k + 1] !== 1) continue;
    for (const name of index.nodes[node]!.output) {
      const end = lastRead.get(name);
      if (name === '' || !main.has(name) || end === undefined || end <= k) continue;
      const type = types.get(name);
      const rank = type?.shape?.length ?? 0;
      if (!type || !isFloatingDtype(type.dtype) || rank < 2 || rank > 4) continue;
      if (typeof type.shape![0] !== 'string') continue;
      const flops = countFlops(index, ancestorNodes(index, [name]), shapes);
      points.push({
        name,
        type,
        flops,
        share: total > 0 ? flops / total : (position.get(node)! + 1) / order.length,
      });
    }
  }
  return points;
}

/** Names of the tensors that depend on the first graph input (itself included). */
function mainDependent(index: GraphIndex): Set<string> {
  const first = index.inputs[0]?.name;
  const found = new Set<string>(first === undefined ? [] : [first]);
  for (const node of index.order) {
    if (index.nodeInputs[node]!.some((name) => found.has(name))) {
      for (const name of index.nodes[node]!.output) if (name !== '') found.add(name);
    }
  }
  return found;
}

/**
 * `count` cut points spread over the cost: for each target share (default 10, 25, 45, 70 % of
 * the FLOPs for 4; evenly between 10 % and 70 % otherwise) the point whose share is closest,
 * the later one on a tie (after an activation rather than before it), each point once.
 *
 * @throws InvalidArgumentError when there are fewer cut points than `count`.
 */
export function spreadCutPoints(points: readonly CutPoint[], count: number): CutPoint[] {
  const usable = points.filter((point) => point.share > 0 && point.share < 1);
  if (usable.length < count) {
    throw new InvalidArgumentError(
      `the model has ${usable.length} cut points where a head can go, fewer than the ${count} exits asked for; ask for fewer with --exits ${Math.max(1, usable.length)}, or name tensors with --at`,
    );
  }
  const targets = exitShareTargets(count);
  const chosen: CutPoint[] = [];
  for (const target of targets) {
    let best: CutPoint | undefined;
    for (const point of usable) {
      if (chosen.includes(point)) continue;
      if (chosen.length > 0 && point.share <= chosen.at(-1)!.share) continue;
      const distance = Math.abs(point.share - target);
      if (!best || distance <= Math.abs(best.share - target)) best = point;
    }
    if (best) chosen.push(best);
  }
  if (chosen.length < count) {
    // Targets crowded together on few distinct shares: fall back to evenly spaced points.
    return Array.from({ length: count }, (_, k) => usable[Math.floor(((k + 0.5) * usable.length) / count)]!);
  }
  return chosen;
}

/** The default FLOP shares of `count` exits: 10/25/45/70 % for 4, else even steps in [0.1, 0.7]. */
export function exitShareTargets(count: number): number[] {
  if (count === 4) return [0.1, 0.25, 0.45, 0.7];
  if (count === 1) return [0.4];
  return Array.from({ length: count }, (_, k) => 0.1 + (0.6 * k) / (count - 1));
}
