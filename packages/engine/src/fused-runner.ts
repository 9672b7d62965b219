import {
  type CompiledPolicy,
  type FusionPlan,
  fusedExitCosts,
  fusedPolicy,
  fusesAnything,
  headOverheads,
  type LoadOptions,
  type ModelPackage,
  planFusion,
  type RunOptions,
  type RunResult,
  type Runtime,
  RuntimeFailureError,
  runEarlyExit,
  type StagedModel,
  type StageTensor,
  type TensorMap,
} from '@pcee/core';
import { fuseModelPackage } from '@pcee/onnx';

/** Options of `FusedRunner.run`: `runEarlyExit`'s, plus which further exits to drop. */
export interface FusedRunOptions extends RunOptions {
  /**
   * Live exits to drop as well (e.g. `chooseExitDrops(…).drop`); samples that would leave
   * there run on to the next live exit. Default: only the exits the policy never takes.
   */
  readonly alsoDrop?: readonly number[];
  /**
   * Per original exit, in the unit of `costs`: what a live exit adds to the cost of the
   * samples that pass it, subtracted from the reported costs where fusion drops the exit.
   * Default: the manifest's head FLOPs when `costs` are in FLOPs, else nothing (the reported
   * costs are then the unfused ones).
   */
  readonly overheads?: readonly number[];
}

/** `runEarlyExit`'s result in the original model's exit indices, and the plan that ran. */
export interface FusedRunResult extends RunResult {
  /** The fusion plan: which exits were live and which stages ran as one graph. */
  readonly plan: FusionPlan;
}

/**
 * Early exit on fused stages: for each policy, the exits it never takes (and any the caller
 * drops) are removed and the stages around them run as one graph (`fuseModelPackage`), so a
 * δ pays only for the exits it uses. Built and loaded once per set of live exits and kept
 * until `dispose`, so repeated runs at one δ (or at δs with the same live exits) reuse it; a
 * plan that fuses nothing runs the original package.
 *
 * Results are reported in the original exit indices; every sample takes the same exit with
 * the same prediction as `runEarlyExit` on the unfused model (decisions at an exit read only
 * that exit's logits), as long as the fused graph computes the same logits, which
 * onnxruntime does up to floating-point rounding of reordered kernels. Costs are those of the
 * fused execution: the original cumulative costs minus the overheads of the dropped exits.
 *
 * Platform-free: it takes any `Runtime` (onnxruntime-node, onnxruntime-web).
 */
export class FusedRunner {
  private readonly loaded = new Map<string, Promise<StagedModel>>();
  private disposed = false;

  /**
   * @param runtime the backend that loads the (fused) packages.
   * @param modelPackage the original, unfused package.
   * @param loadOptions device, threads, … for every load.
   */
  constructor(
    private readonly runtime: Runtime,
    readonly modelPackage: ModelPackage,
    private readonly loadOptions: LoadOptions = {},
  ) {}

  /** The plan a policy runs with (see `planFusion`). */
  plan(policy: CompiledPolicy, alsoDrop: readonly number[] = []): FusionPlan {
    return planFusion(policy, alsoDrop);
  }

  /** The staged model of a plan: the fused package loaded, once per set of live exits. */
  model(plan: FusionPlan): Promise<StagedModel> {
    if (this.disposed)
      return Promise.reject(
        new RuntimeFailureError(
          `the fused runner of model "${this.modelPackage.manifest.id}" was disposed; create a new FusedRunner`,
        ),
      );
    const key = plan.liveExits.join(',');
    let model = this.loaded.get(key);
    if (!model) {
      model = this.build(plan);
      this.loaded.set(key, model);
      // A failed build is not cached: the next run tries again (and reports its own error).
      model.catch(() => this.loaded.delete(key));
    }
    return model;
  }

  /**
   * Early-exit inference on the fused model of `options.policy`; exits in original indices.
   *
   * @throws what `runEarlyExit`, `planFusion` and the runtime's `load` throw.
   */
  async run(inputs: TensorMap | StageTensor, options: FusedRunOptions): Promise<FusedRunResult> {
    const plan = this.plan(options.policy, options.alsoDrop);
    const model = await this.model(plan);
    const overheads =
      options.overheads ??
      (options.costs.unit === 'flops'
        ? headOverheads(this.modelPackage.manifest)
        : new Array<number>(plan.groups.flat().length).fill(0));
    const result = await runEarlyExit(model, inputs, {
      ...options,
      policy: fusedPolicy(options.policy, plan),
      costs: fusedExitCosts(options.costs, plan, overheads),
    });
    const exit = result.exit;
    for (let n = 0; n < exit.length; n++) exit[n] = plan.liveExits[exit[n]!]!;
    return { ...result, plan };
  }

  /** Releases every loaded model. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const models = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.allSettled(models.map(async (model) => (await model).dispose()));
  }

  private async build(plan: FusionPlan): Promise<StagedModel> {
    if (!fusesAnything(plan)) return this.runtime.load(this.modelPackage, this.loadOptions);
    const fused = await fuseModelPackage(this.modelPackage, plan);
    return this.runtime.load(fused.modelPackage, this.loadOptions);
  }
}

/**
 * One fused early-exit run: builds and loads the fused model of `options.policy`, runs it,
 * and releases it. Use a `FusedRunner` to run several batches or δs without rebuilding.
 */
export async function runEarlyExitFused(
  runtime: Runtime,
  modelPackage: ModelPackage,
  inputs: TensorMap | StageTensor,
  options: FusedRunOptions & { readonly load?: LoadOptions },
): Promise<FusedRunResult> {
  const runner = new FusedRunner(runtime, modelPackage, options.load);
  try {
    return await runner.run(inputs, options);
  } finally {
    await runner.dispose();
  }
}
