import { basename } from 'node:path';
import {
  assertPolicyName,
  assertProfileMatches,
  evaluateFullModel,
  evaluateOracle,
  type PolicyEvaluation,
  type PolicyName,
  parseDeltaList,
  scoreExits,
  sweepDeltas,
} from '@pcee/core';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { loadProfile, loadTraces } from '../inputs.js';
import { formatCost, formatFraction, renderCsv, renderTable } from '../table.js';
import { UserError } from '../user-error.js';

interface EvaluateFlags {
  policy: string;
  delta: string;
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
      'policies, comma-separated: pcee, pcee-ws, confidence, oracle',
      'pcee,pcee-ws,confidence,oracle',
    )
    .option(
      '--delta <spec>',
      'target accuracies: 0.9 | 0.8,0.9 | start:stop:step (inclusive)',
      '0.8,0.85,0.9,0.95,0.99',
    )
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (profilePath: string, tracesPath: string, flags: EvaluateFlags) => {
      if (flags.json && flags.csv) throw new UserError('choose one of --json and --csv');
      const policies = parsePolicies(flags.policy);
      const deltas = parseDeltaList(flags.delta);
      const profile = await loadProfile(profilePath);
      const traces = await loadTraces(tracesPath);
      assertProfileMatches(profile, {
        label: `traces "${basename(tracesPath)}"`,
        exits: traces.exits,
        classes: traces.classes,
      });
      const scores = scoreExits(traces, profile.confidence);
      const rows: PolicyEvaluation[] = policies.flatMap((policy) =>
        policy === 'oracle'
          ? [evaluateOracle(scores, profile.costs)]
          : sweepDeltas(scores, profile, policy, deltas),
      );
      const fullModel = evaluateFullModel(scores, profile.costs);
      const header = ['policy', 'delta', 'accuracy', 'meanCost', 'relativeCost', 'exitCounts'];
      if (flags.json) {
        const jsonRows = rows.map(({ policy, delta, accuracy, meanCost, relativeCost, exitCounts }) => ({
          policy,
          delta,
          accuracy,
          meanCost,
          relativeCost,
          exitCounts,
        }));
        io.stdout(`${JSON.stringify({ fullModel, rows: jsonRows }, null, 2)}\n`);
      } else if (flags.csv) {
        io.stdout(
          renderCsv(
            header,
            rows.map((row) => [
              row.policy,
              row.delta,
              row.accuracy,
              row.meanCost,
              row.relativeCost,
              row.exitCounts.join(' '),
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
            ],
            [
              [
                'full model',
                '-',
                formatFraction(fullModel.accuracy),
                formatCost(fullModel.cost),
                '1.0000',
                '-',
              ],
              ...rows.map((row) => [
                row.policy,
                row.delta === null ? '-' : String(row.delta),
                formatFraction(row.accuracy),
                formatCost(row.meanCost),
                formatFraction(row.relativeCost),
                row.exitCounts.join(' '),
              ]),
            ],
          ),
        );
      }
    });
}

function parsePolicies(text: string): PolicyName[] {
  const names = text.split(',').map((name) => name.trim());
  names.forEach(assertPolicyName);
  return names as PolicyName[];
}
