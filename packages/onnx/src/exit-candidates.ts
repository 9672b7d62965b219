import { BATCH } from './batch-axis.js';
import { isFloatingDtype } from './dtypes.js';
import { ancestorNodes, indexGraph } from './graph-index.js';
import type { ModelProto } from './onnx-proto.js';
import { declaredTensorTypes, type TensorTypes } from './tensor-types.js';

/** A graph output that looks like an exit's logits. */
export interface ExitCandidate {
  /** The graph output's name. */
  readonly name: string;
  /** Number of classes C (the second dimension). */
  readonly classes: number;
  /** Number of non-constant nodes it depends on (its depth in the graph). */
  readonly nodes: number;
}

/**
 * The graph outputs that are `[batch, C]` floating-point tensors depending on the inputs,
 * ordered by dependency: an output another one is computed from comes first; otherwise the
 * one that needs fewer nodes (is shallower) comes first, ties in the graph's output order.
 * `types` (e.g. from a probe run) fill in outputs the graph declares no shape for.
 */
export function listExitCandidates(model: ModelProto, types?: TensorTypes): ExitCandidate[] {
  const index = indexGraph(model);
  const declared = declaredTensorTypes(model);
  const batchSymbols = new Set([BATCH]);
  for (const input of index.inputs) {
    const first = declared.get(input.name)?.shape?.[0];
    if (typeof first === 'string') batchSymbols.add(first);
  }
  const candidates: ExitCandidate[] = [];
  for (const output of index.graph.output) {
    const type = types?.get(output.name)?.shape ? types.get(output.name) : declared.get(output.name);
    const shape = type?.shape;
    if (!type || !shape || !isFloatingDtype(type.dtype) || shape.length !== 2) continue;
    const [batch, classes] = shape;
    if (typeof batch !== 'string' || !batchSymbols.has(batch) || typeof classes !== 'number') continue;
    const from = index.producer.get(output.name);
    if (from === undefined || index.constant[from]) continue;
    const nodes = [...ancestorNodes(index, [output.name])].filter((node) => !index.constant[node]).length;
    candidates.push({ name: output.name, classes, nodes });
  }
  // Ancestor sets are nested along a chain, so fewer nodes also means "computed before".
  return candidates
    .map((candidate, position) => ({ candidate, position }))
    .sort((a, b) => a.candidate.nodes - b.candidate.nodes || a.position - b.position)
    .map(({ candidate }) => candidate);
}
