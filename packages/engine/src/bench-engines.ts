import type { CompiledPolicy, LoadOptions, ModelPackage, Runtime } from '@pcee/core';
import {
  describeDrops,
  type EarlyExitEngine,
  openEngine,
  type SlowExitChooser,
} from './early-exit-engine.js';

/** The engines one benchmark measures, and what they report. */
export interface BenchEngines {
  /** Fused, unfused, or both (unfused first). */
  readonly variants: readonly EarlyExitEngine[];
  /** The further exits to drop at this policy and batch (with a slow-exit chooser, fused only). */
  alsoDrop(
    engine: EarlyExitEngine,
    policy: CompiledPolicy,
    batch: number,
  ): Promise<readonly number[] | undefined>;
  /** Records the device a run used. */
  noteDevice(device: string): void;
  /** The device the runs used (`?` before any run). */
  device(): string;
  /** What the slow-exit chooser decided, one line per policy and batch. */
  notes(): readonly string[];
  dispose(): Promise<void>;
}

/** How `openBenchEngines` opens its engines. */
export interface BenchEngineOptions {
  /** Fusion of each engine, in order: `[true]`, `[false]`, or `[false, true]` to compare. */
  readonly modes: readonly boolean[];
  /** Drops slow live exits too in the fused engines (see `slowExitChooser`). */
  readonly chooser?: SlowExitChooser;
}

/** Opens the engines a benchmark measures side by side; an engine that fails to open closes the others. */
export async function openBenchEngines(
  runtime: Runtime,
  modelPackage: ModelPackage,
  load: LoadOptions,
  options: BenchEngineOptions,
): Promise<BenchEngines> {
  const { chooser } = options;
  const variants: EarlyExitEngine[] = [];
  try {
    for (const fuse of options.modes) variants.push(await openEngine(runtime, modelPackage, load, fuse));
  } catch (error) {
    await Promise.allSettled(variants.map((engine) => engine.dispose()));
    throw error;
  }
  const notes: string[] = [];
  let device = '?';
  return {
    variants,
    async alsoDrop(engine, policy, batch) {
      if (!engine.fused || !chooser) return undefined;
      const drops = await chooser(policy, batch);
      const delta = policy.exitDeltas ? policy.exitDeltas.join(',') : String(policy.delta);
      notes.push(`batch ${batch}: ${describeDrops(drops, delta)}`);
      return drops.choice.drop;
    },
    noteDevice(used) {
      device = used;
    },
    device: () => device,
    notes: () => notes,
    dispose: async () => {
      await Promise.allSettled(variants.map((engine) => engine.dispose()));
    },
  };
}
