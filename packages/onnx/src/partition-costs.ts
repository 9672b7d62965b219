import { countFlops, type ShapeMap } from './flops.js';
import { countDistinctParameters, countParameters } from './parameters.js';
import type { Partition } from './partition-graph.js';

/** FLOPs (per sample) and parameters of one stage. */
export interface StageCost {
  /** FLOPs of the stage's nodes that later stages also build on. */
  readonly backbone: number;
  /** FLOPs of the exit head (see `PartitionStage.head`). */
  readonly head: number;
  /** Parameters stored in the stage file (a weight shared with another stage counts in both). */
  readonly parameters: number;
}

/** The costs a model package records. */
export interface PartitionCosts {
  readonly stages: readonly StageCost[];
  /**
   * Cumulative cost of stopping at exit `l`: backbones up to stage `l` plus every head
   * evaluated on the way, in FLOPs per sample.
   */
  readonly exitCosts: readonly number[];
  /**
   * FLOPs per sample of the full model, by the model format's rule: every stage's backbone plus
   * the last head (what running to the last exit costs without the intermediate heads).
   */
  readonly fullModelCost: number;
  /**
   * FLOPs per sample of the last exit's own graph (`full.onnx`). Equal to `fullModelCost` for a
   * chain of blocks; smaller when some backbone nodes feed only intermediate heads (a later
   * head reading an earlier feature map), which the full graph drops.
   */
  readonly fullGraphCost: number;
  /** Parameters of the whole multi-exit model, each weight once. */
  readonly parameters: number;
}

/**
 * FLOPs and parameters of a partition, from the shapes of one sample (a batch of 1; see
 * `nodeFlops` for the counting rule). Constant nodes count nothing: onnxruntime folds them
 * when it loads a model.
 */
export function partitionCosts(partition: Partition, shapes: ShapeMap): PartitionCosts {
  const stages = partition.stages.map((stage): StageCost => {
    const head = new Set(stage.head);
    const total = countFlops(partition.index, stage.nodes, shapes);
    const headFlops = countFlops(partition.index, head, shapes);
    return { backbone: total - headFlops, head: headFlops, parameters: countParameters(stage.model) };
  });
  let running = 0;
  const exitCosts = stages.map((stage) => (running += stage.backbone + stage.head));
  return {
    stages,
    exitCosts,
    fullModelCost: stages.reduce((sum, stage) => sum + stage.backbone, 0) + (stages.at(-1)?.head ?? 0),
    fullGraphCost: countFlops(partition.index, partition.fullNodes, shapes),
    parameters: countDistinctParameters(partition.stages.map((stage) => stage.model)),
  };
}
