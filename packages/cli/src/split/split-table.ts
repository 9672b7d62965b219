import type { Partition, PartitionCosts } from '@pcee/onnx';
import { formatCost, renderTable } from '../table.js';

/** The split summary: one row per stage (carried tensors, FLOPs, cumulative cost, parameters). */
export function renderSplitTable(partition: Partition, costs: PartitionCosts): string {
  const rows = partition.stages.map((stage, k) => {
    const cost = costs.stages[k]!;
    return [
      k,
      stage.consumes.join(', '),
      stage.produces.join(', ') || '-',
      stage.logits,
      formatCost(cost.backbone),
      formatCost(cost.head),
      formatCost(costs.exitCosts[k]!),
      `${((100 * costs.exitCosts[k]!) / costs.fullModelCost).toFixed(1)}%`,
      cost.parameters.toLocaleString('en-US'),
    ];
  });
  return renderTable(
    [
      'stage',
      'consumes',
      'produces (carried)',
      'logits',
      'backbone FLOPs',
      'head FLOPs',
      'cumulative',
      '% of full',
      'parameters',
    ],
    rows,
  );
}
