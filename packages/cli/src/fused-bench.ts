import type {
  CalibrationProfile,
  CompiledPolicy,
  ExitCosts,
  LoadOptions,
  ModelPackage,
  TensorMap,
} from '@pcee/core';
import type { Command } from 'commander';
import {
  addFusionOptions,
  describeDrops,
  type EarlyExitEngine,
  type FusionFlags,
  openEngine,
  type SlowExitChooser,
  slowExitChooser,
} from './early-exit-engine.js';
import { UserError } from './user-error.js';

export type { FusionFlags } from './early-exit-engine.js';

/** `pcee bench`'s fusion flags: `--no-fuse`, `--drop-slow-exits` and `--fuse-compare`. */
export function addBenchFusionOptions(command: Command): Command {
  return addFusionOptions(command).option(
    '--fuse-compare',
    'measure every δ both fused and unfused, side by side in one run',
  );
}

/** The engines one `pcee bench` measures, and what they report. */
export interface BenchEngines {
  /** Fused, unfused, or both (`--fuse-compare`: unfused first). */
  readonly variants: readonly EarlyExitEngine[];
  /** The further exits to drop at this policy and batch (`--drop-slow-exits`, fused only). */
  alsoDrop(
    engine: EarlyExitEngine,
    policy: CompiledPolicy,
    batch: number,
  ): Promise<readonly number[] | undefined>;
  /** Records the device a run used. */
  noteDevice(device: string): void;
  /** The device the runs used (`?` before any run). */
  device(): string;
  /** What `--drop-slow-exits` decided, one line per policy and batch. */
  notes(): readonly string[];
  dispose(): Promise<void>;
}

/**
 * Opens the engines `pcee bench` measures with its fusion flags.
 *
 * @throws UserError for `--no-fuse` with `--fuse-compare` or `--drop-slow-exits`.
 */
export async function openEngines(
  modelPackage: ModelPackage,
  load: LoadOptions,
  inputs: TensorMap,
  profile: CalibrationProfile,
  costs: ExitCosts,
  flags: FusionFlags & { fuseCompare?: boolean },
): Promise<BenchEngines> {
  if (!flags.fuse && flags.fuseCompare) {
    throw new UserError('--fuse-compare measures fused and unfused side by side; leave out --no-fuse');
  }
  if (!flags.fuse && flags.dropSlowExits) {
    throw new UserError('--drop-slow-exits drops exits by fusing stages; leave out --no-fuse');
  }
  const chooser: SlowExitChooser | undefined = flags.dropSlowExits
    ? await slowExitChooser(modelPackage, load, inputs, flags.dropSlowExits, profile, costs)
    : undefined;
  const modes = flags.fuseCompare ? [false, true] : [flags.fuse];
  const variants: EarlyExitEngine[] = [];
  try {
    for (const fuse of modes) variants.push(await openEngine(modelPackage, load, fuse));
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
