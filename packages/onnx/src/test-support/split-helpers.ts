import type { Tensor } from '@pcee/core';
import {
  indexLimits,
  listExitCandidates,
  type ModelProbe,
  type ModelProto,
  type Partition,
  partitionGraph,
  probeModel,
  randomInputs,
  readModel,
  writeModel,
} from '../index.js';
import { ortProbeRunner, relativeError, runModel, runStages } from './ort.js';

/** Probes a model with onnxruntime and partitions it at `exits` (default: its exit candidates). */
export async function probeAndPartition(
  model: ModelProto,
  exits?: readonly string[],
): Promise<{ probe: ModelProbe; partition: Partition; exits: readonly string[] }> {
  const probe = await probeModel(model, ortProbeRunner);
  const chosen = exits ?? listExitCandidates(model, probe.types).map((candidate) => candidate.name);
  return { probe, partition: partitionGraph(model, chosen, { types: probe.types }), exits: chosen };
}

/**
 * Runs the model and its stages (each re-read from its own bytes, as a stage file would be)
 * on the same random inputs (batch 5, symbols as the probe's first run) and returns each
 * exit's relative error.
 */
export async function stageErrors(
  model: ModelProto,
  partition: Partition,
  probe: ModelProbe,
): Promise<number[]> {
  const inputs = randomInputs(probe.inputs, { ...probe.symbols[0], batch: 5 }, indexLimits(model), 11);
  const reference = await runModel(model, inputs);
  const stages = partition.stages.map((stage) => ({ ...stage, model: readModel(writeModel(stage.model)) }));
  const logits = await runStages(stages, inputs as ReadonlyMap<string, Tensor>);
  return logits.map((tensor, exit) => relativeError(reference.get(partition.stages[exit]!.logits)!, tensor));
}
