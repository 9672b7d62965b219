import type { GraphIndex } from './graph-index.js';

/** The two stages `matchLastHead` compares (a subset of `PartitionStage`). */
interface StageNodes {
  readonly logits: string;
  readonly nodes: readonly number[];
  readonly head: readonly number[];
}

/**
 * The head of the last exit. For every other exit the head is what only its logits need;
 * the last exit has no later stage to tell its head from its backbone, so its head is taken
 * to be the nodes that mirror the previous exit's head: walking back from both logits, the
 * same operators wired the same way, down to where the previous head reads its trunk. Exits
 * of one model usually share one head design, which this recovers; when the heads differ, the
 * last stage counts as backbone only (empty head). Only the last stage's backbone/head split
 * depends on this: exit costs and the full model's cost (backbones + last head) do not.
 */
export function matchLastHead(index: GraphIndex, previous: StageNodes, last: StageNodes): number[] {
  const previousHead = new Set(previous.head);
  const lastNodes = new Set(last.nodes);
  const from = index.producer.get(previous.logits);
  const to = index.producer.get(last.logits);
  if (previousHead.size === 0 || from === undefined || to === undefined || !previousHead.has(from)) return [];
  const mapping = new Map<number, number>();
  const used = new Set<number>();
  const pending: [number, number][] = [[from, to]];
  while (pending.length > 0) {
    const [a, b] = pending.pop()!;
    if (mapping.has(a)) {
      if (mapping.get(a) !== b) return [];
      continue;
    }
    const nodeA = index.nodes[a]!;
    const nodeB = index.nodes[b]!;
    if (
      used.has(b) ||
      !lastNodes.has(b) ||
      nodeA.opType !== nodeB.opType ||
      nodeA.domain !== nodeB.domain ||
      nodeA.input.length !== nodeB.input.length
    ) {
      return [];
    }
    mapping.set(a, b);
    used.add(b);
    nodeA.input.forEach((name, k) => {
      const producerA = index.producer.get(name);
      if (producerA === undefined || !previousHead.has(producerA)) return; // the head's own input
      const producerB = index.producer.get(nodeB.input[k]!);
      pending.push([producerA, producerB ?? -1]);
    });
    if (pending.some(([, b]) => b === -1)) return [];
  }
  if (mapping.size !== previousHead.size) return [];
  return last.nodes.filter((node) => used.has(node));
}
