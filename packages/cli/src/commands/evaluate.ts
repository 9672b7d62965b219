import { basename } from 'node:path';
import {
  assertProfileMatches,
  compileTunedPolicy,
  evaluateFullModel,
  evaluatePolicy,
  type PolicyEvaluation,
  parseDeltaList,
  parsePolicyNames,
  scoreExits,
  sweepPolicies,
} from '@pcee/core';
import { formatOperatingDelta } from '@pcee/engine';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { loadProfile, loadTraces } from '../inputs.js';
import { formatCost, formatFraction, renderCsv, renderTable } from '../table.js';
import { UserError } from '../user-error.js';

interface EvaluateFlags {
  policy?: string;
  delta?: string;
  abstain?: boolean;
  json?: boolean;
  csv?: boolean;
}

/** `pcee evaluate <profile> <traces>`: accuracy and cost of policies over δ on labelled traces. */
export function registerEvaluate(program: Command, io: CliIo): Command {
  return program
    .command('evaluate')
    .description(
      'evaluate exit policies on labelled (test) traces: accuracy, mean and relative cost, exits per δ',
    )
    .argument('<profile.json>', 'calibration profile from pcee calibrate')
    .argument('<traces>', 'labelled traces to evaluate on (.npz or .safetensors), e.g. the test set')
    .option(
      '--policy <list>',
      'policies, comma-separated: pcee, pcee-ws, confidence, oracle (default: all; with a tuned profile and no --delta, the tuned one)',
    )
    .option(
      '--delta <spec>',
      "target accuracies: 0.9 | 0.8,0.9 | start:stop:step (inclusive); default 0.8,0.85,0.9,0.95,0.99, or the profile's tuned δ",
    )
    .option(
      '--abstain',
      'answer "abstain" for samples that reach the last exit in a bin below δ; adds coverage and selective accuracy',
    )
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (profilePath: string, tracesPath: string, flags: EvaluateFlags) => {
      if (flags.json && flags.csv) throw new UserError('choose one of --json and --csv');
      const profile = await loadProfile(profilePath);
      // A tuned profile without --delta/--policy evaluates its tuned operating point.
      const tuned = flags.delta === undefined && flags.policy === undefined ? profile.tuned : undefined;
      const policies = parsePolicyNames(flags.policy ?? 'pcee,pcee-ws,confidence,oracle');
      const deltas = parseDeltaList(flags.delta ?? '0.8,0.85,0.9,0.95,0.99');
      const abstain = (flags.abstain ?? false) || (tuned?.abstain ?? false);
      const traces = await loadTraces(tracesPath);
      assertProfileMatches(profile, {
        label: `traces "${basename(tracesPath)}"`,
        exits: traces.exits,
        classes: traces.classes,
      });
      const scores = scoreExits(traces, profile.confidence);
      const rows: PolicyEvaluation[] = tuned
        ? [evaluatePolicy(scores, compileTunedPolicy(profile), profile.costs, { abstain })]
        : sweepPolicies(scores, profile, policies, deltas, profile.costs, { abstain });
      // The tuned per-exit point has no single δ: show its thresholds.
      const deltaOf = (row: PolicyEvaluation): number | readonly number[] | null =>
        tuned?.exitDeltas ?? row.delta;
      const abstainColumns = (row: PolicyEvaluation) =>
        row.coverage === undefined
          ? {}
          : { coverage: row.coverage, selectiveAccuracy: row.selectiveAccuracy ?? null };
      if (tuned) io.stderr(`evaluating the profile's tuned operating point (give --delta for a sweep)\n`);
      const fullModel = evaluateFullModel(scores, profile.costs);
      const header = ['policy', 'delta', 'accuracy', 'meanCost', 'relativeCost', 'exitCounts'];
      if (flags.json) {
        const jsonRows = rows.map((row) => ({
          policy: row.policy,
          delta: tuned?.exitDeltas ? null : row.delta,
          ...(tuned?.exitDeltas ? { exitDeltas: tuned.exitDeltas } : {}),
          accuracy: row.accuracy,
          meanCost: row.meanCost,
          relativeCost: row.relativeCost,
          exitCounts: row.exitCounts,
          ...abstainColumns(row),
        }));
        io.stdout(`${JSON.stringify({ fullModel, rows: jsonRows }, null, 2)}\n`);
      } else if (flags.csv) {
        io.stdout(
          renderCsv(
            [...header, ...(abstain ? ['coverage', 'selectiveAccuracy'] : [])],
            rows.map((row) => [
              row.policy,
              formatDelta(deltaOf(row)),
              row.accuracy,
              row.meanCost,
              row.relativeCost,
              row.exitCounts.join(' '),
              ...(abstain ? [row.coverage ?? '', row.selectiveAccuracy ?? ''] : []),
            ]),
          ),
        );
      } else {
        io.stdout(
          renderTable(
            [
              'policy',
              'δ',
              'accuracy',
              `mean cost (${profile.costs.unit})`,
              'relative cost',
              'exits per head',
              ...(abstain ? ['coverage', 'selective accuracy'] : []),
            ],
            [
              [
                'full model',
                '-',
                formatFraction(fullModel.accuracy),
                formatCost(fullModel.cost),
                '1.0000',
                '-',
                ...(abstain ? ['1.0000', formatFraction(fullModel.accuracy)] : []),
              ],
              ...rows.map((row) => [
                row.policy,
                formatDelta(deltaOf(row)),
                formatFraction(row.accuracy),
                formatCost(row.meanCost),
                formatFraction(row.relativeCost),
                row.exitCounts.join(' '),
                ...(abstain
                  ? [formatFraction(row.coverage ?? 1), formatFraction(row.selectiveAccuracy ?? row.accuracy)]
                  : []),
              ]),
            ],
          ),
        );
      }
    });
}

function formatDelta(delta: number | readonly number[] | null): string {
  return delta === null ? '-' : formatOperatingDelta(delta);
}
