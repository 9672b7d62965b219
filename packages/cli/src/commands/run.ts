import { compilePolicy, describeMeasurementMismatch } from '@pcee/core';
import {
  describeDrops,
  describePlan,
  formatOperatingDelta,
  openEngine,
  predictionRecords,
  resolveOperatingPoints,
  summarizeRun,
} from '@pcee/engine';
import { hostCpuModel } from '@pcee/engine/node';
import { nodeRuntime } from '@pcee/runtime-node';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { addFusionOptions, type FusionFlags } from '../fusion-options.js';
import { loadProfile } from '../inputs.js';
import {
  addModelOptions,
  assertProfileForModel,
  loadOptions,
  type ModelFlags,
  openModelWithInputs,
} from '../model-options.js';
import { positiveInteger } from '../options.js';
import { createProgress } from '../progress.js';
import { slowExitChooserFromFlag } from '../slow-exits.js';
import { formatCost, formatFraction, renderTable } from '../table.js';
import { UserError } from '../user-error.js';

interface RunFlags extends ModelFlags, FusionFlags {
  profile: string;
  delta?: string;
  policy?: string;
  abstain?: boolean;
  batch: number;
  json?: boolean;
}

/** `pcee run <model-dir> <inputs.npz>`: early-exit inference with a calibrated policy. */
export function registerRun(program: Command, io: CliIo): Command {
  const command = program
    .command('run')
    .description(
      'early-exit inference: run stage by stage, and let each sample exit at the first head whose calibrated accuracy reaches δ',
    )
    .argument('<model-dir>', 'model package folder (model.json + stage .onnx files)')
    .argument(
      '<inputs.npz>',
      '.npz with one array per model input, named after it (x for a one-input model; raw values are preprocessed by the model), and optional labels',
    )
    .requiredOption('--profile <profile.json>', 'calibration profile of this model (pcee calibrate --model)')
    .option('--delta <value>', "target accuracy δ in [0, 1] (default: the profile's tuned δ, from pcee tune)")
    .option('--policy <name>', 'pcee, pcee-ws or confidence (default: the tuned policy, else pcee)')
    .option('--abstain', 'answer "abstain" for samples that reach the last exit in a bin below δ')
    .option('--batch <size>', 'samples per batch', positiveInteger('--batch'), 64)
    .option('--json', 'print every prediction and the summary as JSON');
  return addModelOptions(addFusionOptions(command)).action(
    async (modelDir: string, inputsPath: string, flags: RunFlags) => {
      if (flags.delta?.includes(',') || flags.delta?.includes(':')) {
        throw new UserError(`--delta takes one value for run, got "${flags.delta}"`);
      }
      if (flags.policy?.includes(',')) {
        throw new UserError(`--policy takes one name for run, got "${flags.policy}"`);
      }
      if (!flags.fuse && flags.dropSlowExits) {
        throw new UserError('--drop-slow-exits drops exits by fusing stages; leave out --no-fuse');
      }
      const profile = await loadProfile(flags.profile);
      const [point] = resolveOperatingPoints(profile, flags);
      const { policy: policyName, abstain } = point!;
      const { modelPackage, inputs, labels } = await openModelWithInputs(modelDir, inputsPath, flags.limit);
      assertProfileForModel(profile, modelPackage, modelDir, io.stderr);
      // Costs in the profile's unit: measured ms when it was calibrated with --cost-unit ms.
      const costs = profile.costs;
      const policy = compilePolicy(profile, policyName, point!.delta);
      const load = loadOptions(flags);
      const drops = flags.dropSlowExits
        ? await (
            await slowExitChooserFromFlag(modelPackage, load, inputs, flags.dropSlowExits, profile, costs)
          )(policy, flags.batch)
        : undefined;
      const engine = await openEngine(nodeRuntime, modelPackage, load, flags.fuse);
      const progress = createProgress(io, 'run');
      try {
        const { result, plan, device } = await engine.run(inputs, {
          policy,
          confidence: profile.confidence,
          costs,
          batchSize: flags.batch,
          abstain,
          onProgress: (done, total) => progress.update(done, total),
          alsoDrop: drops?.choice.drop,
        });
        progress.stop();
        const mismatch = describeMeasurementMismatch(costs, {
          device,
          host: hostCpuModel(),
          threads: flags.threads ?? null,
          batch: flags.batch,
        });
        if (mismatch) io.stderr(`warning: ${mismatch}\n`);
        const delta = formatOperatingDelta(point!.delta);
        if (drops) io.stderr(`${describeDrops(drops, delta)}\n`);
        io.stderr(
          `live exits at δ ${delta}: ${engine.fused ? describePlan(plan) : `${plan.liveExits.join(' ')} (--no-fuse)`}\n`,
        );
        const summary = summarizeRun(result, costs, labels, abstain);
        if (flags.json) {
          const predictions = predictionRecords(result, abstain);
          io.stdout(`${JSON.stringify({ predictions, summary })}\n`);
          return;
        }
        io.stdout(
          renderTable(
            [
              'model',
              'policy',
              'δ',
              'samples',
              'accuracy',
              `mean cost (${costs.unit})`,
              'relative cost',
              'exits per head',
              ...(abstain ? ['coverage', 'selective accuracy'] : []),
            ],
            [
              [
                modelPackage.manifest.id,
                policyName,
                formatOperatingDelta(point!.delta),
                result.exit.length,
                formatFraction(summary.accuracy),
                formatCost(summary.meanCost),
                formatFraction(summary.relativeCost),
                summary.exitCounts.join(' '),
                ...(abstain
                  ? [formatFraction(summary.coverage!), formatFraction(summary.selectiveAccuracy!)]
                  : []),
              ],
            ],
          ),
        );
        if (point!.tuned) io.stderr(`δ from the profile's tuned operating point (pcee tune)\n`);
        io.stderr(`ran on ${device}${labels ? '' : ' (no labels in the inputs: accuracy unknown)'}\n`);
      } finally {
        progress.stop();
        await engine.dispose();
      }
    },
  );
}
