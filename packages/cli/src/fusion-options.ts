import type { Command } from 'commander';

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

/** `pcee bench`'s fusion flags: `--no-fuse`, `--drop-slow-exits` and `--fuse-compare`. */
export function addBenchFusionOptions(command: Command): Command {
  return addFusionOptions(command).option(
    '--fuse-compare',
    'measure every δ both fused and unfused, side by side in one run',
  );
}
