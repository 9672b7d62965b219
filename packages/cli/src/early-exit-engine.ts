import {
  type CalibrationProfile,
  type CompiledPolicy,
  chooseExitDrops,
  type ExitCosts,
  type ExitDropChoice,
  exitCostsAtBatch,
  type FusionPlan,
  InvalidArgumentError,
  type LoadOptions,
  type ModelPackage,
  measuredExitOverheads,
  type OverheadMeasurement,
  planFusion,
  type RunOptions,
  type RunResult,
  reachShares,
  runEarlyExit,
  type StagedModel,
  scoreExits,
  simulateExits,
  type TensorMap,
} from '@pcee/core';
import { FusedRunner, measureExitOverhead } from '@pcee/onnx';
import { nodeRuntime } from '@pcee/runtime-node';
import type { Command } from 'commander';
import { loadTraces } from './inputs.js';

/** The fusion flags of `pcee run` and `pcee bench`. */
export interface FusionFlags {
  /** false with `--no-fuse`. */
  fuse: boolean;
  /** `--drop-slow-exits <traces>`: validation traces to weigh live exits on. */
  dropSlowExits?: string;
}

/** Adds `--no-fuse` and `--drop-slow-exits` to a command that runs early exit. */
export function addFusionOptions(command: Command): Command {
  return command
    .option(
      '--no-fuse',
      'run the stages as shipped; by default the exits the policy never takes at this δ are dropped and the stages around them run as one graph (same exits and predictions)',
    )
    .option(
      '--drop-slow-exits <traces.npz>',
      'also drop live exits whose expected saving at this δ is below their measured overhead, when that keeps the accuracy on these validation traces (never the test set); samples that would exit there go on to the next live exit',
    );
}

/** One early-exit run and how it ran. */
export interface EngineRun {
  readonly result: RunResult;
  /** Which exits were live (original indices) and which stages ran as one graph. */
  readonly plan: FusionPlan;
  readonly device: string;
}

/** Early-exit inference as `run` and `bench` do it: fused (the default) or stage by stage. */
export interface EarlyExitEngine {
  readonly fused: boolean;
  /** Runs the policy; with `alsoDrop`, those live exits are dropped too (fused engine only). */
  run(inputs: TensorMap, options: RunOptions & { alsoDrop?: readonly number[] }): Promise<EngineRun>;
  dispose(): Promise<void>;
}

/**
 * Opens the engine: fused runs build and load the fused model of each set of live exits once
 * (`FusedRunner`); unfused runs load the stage files once, now (so a load error comes first).
 */
export async function openEngine(
  modelPackage: ModelPackage,
  load: LoadOptions,
  fuse: boolean,
): Promise<EarlyExitEngine> {
  if (fuse) {
    const runner = new FusedRunner(nodeRuntime, modelPackage, load);
    return {
      fused: true,
      async run(inputs, options) {
        const result = await runner.run(inputs, options);
        return { result, plan: result.plan, device: (await runner.model(result.plan)).device };
      },
      dispose: () => runner.dispose(),
    };
  }
  const model: StagedModel = await nodeRuntime.load(modelPackage, load);
  const exits = model.stages;
  const plan: FusionPlan = {
    liveExits: Array.from({ length: exits }, (_, exit) => exit),
    groups: Array.from({ length: exits }, (_, exit) => [exit]),
  };
  return {
    fused: false,
    async run(inputs, options) {
      return { result: await runEarlyExit(model, inputs, options), plan, device: model.device };
    },
    dispose: () => model.dispose(),
  };
}

/** The live exits of a plan in words, e.g. `0 2 5 (stages 1–2 and 3–5 fused)`. */
export function describePlan(plan: FusionPlan): string {
  const fused = plan.groups.filter((group) => group.length > 1);
  const exits = plan.liveExits.join(' ');
  if (fused.length === 0) return `${exits} (nothing to fuse)`;
  return `${exits} (stages ${fused.map((group) => `${group[0]}–${group.at(-1)}`).join(' and ')} fused)`;
}

/** The exits `--drop-slow-exits` drops at one policy and batch size, and why. */
export interface SlowExitDrops {
  readonly choice: ExitDropChoice;
  readonly measurement: OverheadMeasurement;
  /** The plan with them dropped. */
  readonly plan: FusionPlan;
}

/** Chooses what `--drop-slow-exits` drops, per policy and batch size. */
export type SlowExitChooser = (policy: CompiledPolicy, batch: number) => Promise<SlowExitDrops>;

/**
 * Reads the validation traces once and returns a chooser that weighs the live exits of a
 * policy against their overhead (see `chooseExitDrops`), measured here on the first `batch`
 * inputs (`measureExitOverhead`, once per batch size).
 *
 * @throws InvalidArgumentError when the traces have another number of exits than the model.
 */
export async function slowExitChooser(
  modelPackage: ModelPackage,
  load: LoadOptions,
  inputs: TensorMap,
  tracesPath: string,
  profile: CalibrationProfile,
  costs: ExitCosts,
): Promise<SlowExitChooser> {
  const traces = await loadTraces(tracesPath);
  const exits = modelPackage.manifest.stages.length;
  if (traces.exits !== exits) {
    throw new InvalidArgumentError(
      `--drop-slow-exits: ${tracesPath} has ${traces.exits} exits but model "${modelPackage.manifest.id}" has ${exits}; give validation traces of this model (pcee trace)`,
    );
  }
  const scores = scoreExits(traces, profile.confidence);
  const samples = Object.values(inputs)[0]!.dims[0]!;
  const measurements = new Map<number, Promise<OverheadMeasurement>>();
  return async (policy, batch) => {
    const size = Math.min(batch, samples);
    let measured = measurements.get(size);
    if (!measured) {
      measured = measureExitOverhead(nodeRuntime, modelPackage, inputs, { batch: size, load });
      measurements.set(size, measured);
    }
    const measurement = await measured;
    // With a batch cost model, weigh exits at what this batch pays after compaction at this
    // policy: a deep stage's fixed part falls on the few samples that still reach it.
    const priced = costs.batchModel
      ? exitCostsAtBatch(
          costs,
          costs.batchModel,
          reachShares(exitCountsOf(simulateExits(scores, policy), exits)),
          batch,
        )
      : costs;
    const weighed = measuredExitOverheads(priced, modelPackage.manifest, measurement);
    const choice = chooseExitDrops(scores, policy, weighed.costs, { overheads: weighed.overheads });
    return { choice, measurement, plan: planFusion(policy, choice.drop) };
  };
}

/** Samples per exit, from each sample's exit. */
function exitCountsOf(chosen: Int32Array, exits: number): number[] {
  const counts = new Array<number>(exits).fill(0);
  for (const exit of chosen) counts[exit]!++;
  return counts;
}

/** One line on what `--drop-slow-exits` decided. */
export function describeDrops(drops: SlowExitDrops, delta: string): string {
  const { choice, measurement } = drops;
  const percent = (value: number) => `${(100 * value).toFixed(2)}%`;
  const overhead = `${(measurement.perExitMs * 1000).toFixed(1)} µs per sample at batch ${measurement.batch}`;
  if (choice.drop.length === 0) {
    return `no live exit is slower than it saves at δ ${delta} (one exit costs ${overhead})`;
  }
  return `dropped exits ${choice.drop.join(' ')} too: at δ ${delta} they save less than they cost (one exit costs ${overhead}); validation accuracy ${percent(choice.before.accuracy)} → ${percent(choice.after.accuracy)}`;
}
