import {
  type CalibrationProfile,
  type CompiledPolicy,
  chooseExitDrops,
  type ExitCosts,
  type ExitDropChoice,
  evaluatePolicy,
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
  type Runtime,
  reachShares,
  runEarlyExit,
  type StagedModel,
  scoreExits,
  type TensorMap,
  type Traces,
} from '@pcee/core';
import { FusedRunner } from './fused-runner.js';
import { measureExitOverhead } from './measure-exit-overhead.js';

/** One early-exit run and how it ran. */
export interface EngineRun {
  readonly result: RunResult;
  /** Which exits were live (original indices) and which stages ran as one graph. */
  readonly plan: FusionPlan;
  readonly device: string;
}

/** Early-exit inference as `pcee run`, `pcee bench` and the server do it: fused (the default) or stage by stage. */
export interface EarlyExitEngine {
  readonly fused: boolean;
  /** Runs the policy; with `alsoDrop`, those live exits are dropped too (fused engine only). */
  run(inputs: TensorMap, options: RunOptions & { alsoDrop?: readonly number[] }): Promise<EngineRun>;
  dispose(): Promise<void>;
}

/**
 * Opens the engine on a runtime (onnxruntime-node, onnxruntime-web, …): fused runs build and
 * load the fused model of each set of live exits once (`FusedRunner`); unfused runs load the
 * stage files once, now (so a load error comes first).
 */
export async function openEngine(
  runtime: Runtime,
  modelPackage: ModelPackage,
  load: LoadOptions,
  fuse: boolean,
): Promise<EarlyExitEngine> {
  if (fuse) {
    const runner = new FusedRunner(runtime, modelPackage, load);
    return {
      fused: true,
      async run(inputs, options) {
        const result = await runner.run(inputs, options);
        return { result, plan: result.plan, device: (await runner.model(result.plan)).device };
      },
      dispose: () => runner.dispose(),
    };
  }
  const model: StagedModel = await runtime.load(modelPackage, load);
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

/** The live exits dropped as slower than they save at one policy and batch size, and why. */
export interface SlowExitDrops {
  readonly choice: ExitDropChoice;
  readonly measurement: OverheadMeasurement;
  /** The plan with them dropped. */
  readonly plan: FusionPlan;
}

/** Chooses the slow exits to drop, per policy and batch size. */
export type SlowExitChooser = (policy: CompiledPolicy, batch: number) => Promise<SlowExitDrops>;

/**
 * A chooser that weighs the live exits of a policy on validation `traces` (never the test
 * set) against their overhead (see `chooseExitDrops`), measured on this runtime on the first
 * `batch` inputs (`measureExitOverhead`, once per batch size).
 *
 * @throws InvalidArgumentError when the traces have another number of exits than the model.
 */
export function slowExitChooser(
  runtime: Runtime,
  modelPackage: ModelPackage,
  load: LoadOptions,
  inputs: TensorMap,
  traces: Traces,
  profile: CalibrationProfile,
  costs: ExitCosts,
): SlowExitChooser {
  const exits = modelPackage.manifest.stages.length;
  if (traces.exits !== exits) {
    throw new InvalidArgumentError(
      `the validation traces have ${traces.exits} exits but model "${modelPackage.manifest.id}" has ${exits}; give validation traces of this model`,
    );
  }
  const scores = scoreExits(traces, profile.confidence);
  const samples = Object.values(inputs)[0]!.shape[0]!;
  const measurements = new Map<number, Promise<OverheadMeasurement>>();
  return async (policy, batch) => {
    const size = Math.min(batch, samples);
    let measured = measurements.get(size);
    if (!measured) {
      measured = measureExitOverhead(runtime, modelPackage, inputs, { batch: size, load });
      measurements.set(size, measured);
    }
    const measurement = await measured;
    // With a batch cost model, weigh exits at what this batch pays after compaction at this
    // policy: a deep stage's fixed part falls on the few samples that still reach it.
    const priced = costs.batchModel
      ? exitCostsAtBatch(
          costs,
          costs.batchModel,
          reachShares(evaluatePolicy(scores, policy, costs).exitCounts),
          batch,
        )
      : costs;
    const weighed = measuredExitOverheads(priced, modelPackage.manifest, measurement);
    const choice = chooseExitDrops(scores, policy, weighed.costs, { overheads: weighed.overheads });
    return { choice, measurement, plan: planFusion(policy, choice.drop) };
  };
}

/** One line on which slow exits were dropped at δ (`delta` as printed), and what it cost. */
export function describeDrops(drops: SlowExitDrops, delta: string): string {
  const { choice, measurement } = drops;
  const percent = (value: number) => `${(100 * value).toFixed(2)}%`;
  const overhead = `${(measurement.perExitMs * 1000).toFixed(1)} µs per sample at batch ${measurement.batch}`;
  if (choice.drop.length === 0) {
    return `no live exit is slower than it saves at δ ${delta} (one exit costs ${overhead})`;
  }
  return `dropped exits ${choice.drop.join(' ')} too: at δ ${delta} they save less than they cost (one exit costs ${overhead}); validation accuracy ${percent(choice.before.accuracy)} → ${percent(choice.after.accuracy)}`;
}
