import { InvalidArgumentError, parseDeltaList } from '@pcee/core';
import { parseRunPolicies } from '@pcee/engine';
import {
  type BatchingMode,
  pairProfiles,
  readProfileFile,
  SERVE_DEFAULTS,
  type ServePolicyName,
  startServer,
  VIOLATION_ACTIONS,
  type ViolationAction,
} from '@pcee/serve';
import { type Command, InvalidArgumentError as CommanderInvalidArgument, Option } from 'commander';
import type { CliIo } from '../cli-io.js';
import { addModelOptions, loadOptions, type ModelFlags } from '../model-options.js';
import { positiveInteger } from '../options.js';

interface ServeFlags extends ModelFlags {
  profile: string[];
  delta?: string;
  policy?: string;
  abstain?: boolean;
  host: string;
  port: number;
  grpcPort?: number;
  workers?: number;
  baseline?: boolean;
  batching: BatchingMode;
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
  maxRequestSamples: number;
  timeoutMs: number;
  bodyLimitMb: number;
  allowedPolicies: string;
  deltaRange: string;
  driftWindow: number;
  feedbackCapacity: number;
  window: number;
  targetAccuracy?: number;
  risk?: number;
  auditRate: number;
  onViolation: ViolationAction;
  recalibrationSamples: number;
  driftThreshold: number;
  logLevel: string;
}

/**
 * `pcee serve <model-dir>… --profile <p.json>…`: an Open Inference Protocol v2 server with
 * dynamic batching (at stage 0 by default, or per stage). Runs until SIGTERM or Ctrl-C, then drains admitted requests and exits 0.
 */
export function registerServe(program: Command, io: CliIo): Command {
  const command = program
    .command('serve')
    .description(
      'serve models over the Open Inference Protocol v2 (REST with binary tensors, and gRPC with --grpc-port, as KServe and Triton): early exit per sample, requests batched dynamically (at stage 0, or at every stage with --batching per-stage); SIGTERM drains and exits 0',
    )
    .argument(
      '<model-dir...>',
      'model package folders (model.json + stage .onnx files); the model name is its id',
    )
    .requiredOption(
      '--profile <profile.json...>',
      'calibration profile of each model (pcee calibrate --model), matched by model id',
    )
    .option(
      '--delta <value>',
      "default target accuracy δ in [0, 1] (default: each profile's tuned δ from pcee tune)",
    )
    .option(
      '--policy <name>',
      'default policy: pcee, pcee-ws or confidence (default: the tuned one, else pcee)',
    )
    .option('--abstain', 'answer "abstain" for samples reaching the last exit below δ (default: as tuned)')
    .option('--no-abstain', 'answer every sample, even if the profile was tuned with abstention')
    .option('--host <address>', 'interface to listen on (0.0.0.0 in a container)', SERVE_DEFAULTS.host)
    .option('--port <number>', 'TCP port (0 picks a free one)', port('--port'), SERVE_DEFAULTS.port)
    .option(
      '--grpc-port <number>',
      'also serve the OIP v2 over gRPC (KServe grpc_predict_v2.proto) on this port, same host, models and limits (default: no gRPC)',
      port('--grpc-port'),
    )
    .option(
      '--workers <count>',
      'worker threads that decode and validate request bodies and encode answers beside inference, 0 for none (default: one per 4 cores, 1 to 4); with workers and no --threads, onnxruntime gets the cores they leave, at least 2',
      nonNegativeInteger('--workers'),
    )
    .option('--baseline', "serve each package's full.onnx without early exit (the baseline to compare with)")
    .option(
      '--max-batch <samples>',
      'most samples in one stage run',
      positiveInteger('--max-batch'),
      SERVE_DEFAULTS.maxBatch,
    )
    .option(
      '--max-delay-ms <ms>',
      'longest a sample waits for its stage batch to fill',
      nonNegative('--max-delay-ms'),
      SERVE_DEFAULTS.maxDelayMs,
    )
    .option(
      '--max-queue <samples>',
      'most samples held per model (queued or running); more is answered 429',
      positiveInteger('--max-queue'),
      SERVE_DEFAULTS.maxQueue,
    )
    .option(
      '--max-request-samples <samples>',
      'most samples in one request; more is answered 413',
      positiveInteger('--max-request-samples'),
      SERVE_DEFAULTS.maxRequestSamples,
    )
    .option(
      '--timeout-ms <ms>',
      'per-request deadline; a request still waiting is answered 503',
      positiveInteger('--timeout-ms'),
      SERVE_DEFAULTS.timeoutMs,
    )
    .option(
      '--body-limit-mb <MiB>',
      'largest request body; larger is answered 413',
      positiveInteger('--body-limit-mb'),
      SERVE_DEFAULTS.bodyLimitBytes / (1024 * 1024),
    )
    .option(
      '--allowed-policies <names>',
      'policies a request may choose (comma list)',
      SERVE_DEFAULTS.policies.join(','),
    )
    .option(
      '--delta-range <low,high>',
      "range a request's δ must fall in",
      SERVE_DEFAULTS.deltaRange.join(','),
    )
    .option(
      '--drift-window <samples>',
      'drift monitor: recent samples compared with calibration',
      positiveInteger('--drift-window'),
      SERVE_DEFAULTS.driftWindow,
    )
    .option(
      '--drift-threshold <psi>',
      'drift monitor: population stability index that is logged as drift',
      nonNegative('--drift-threshold'),
      SERVE_DEFAULTS.driftThreshold,
    )
    .option(
      '--feedback-capacity <samples>',
      'answered samples held for label feedback (POST /v2/models/{name}/feedback); the oldest expire',
      positiveInteger('--feedback-capacity'),
      SERVE_DEFAULTS.feedbackCapacity,
    )
    .option(
      '--window <samples>',
      'live reliability diagrams (GET /v2/models/{name}/calibration): the most recent labelled samples kept',
      positiveInteger('--window'),
      SERVE_DEFAULTS.window,
    )
    .option(
      '--target-accuracy <a>',
      "accuracy monitor: the accuracy answered samples must keep, in (0, 1), tested on label feedback at every sample (default: the tuned profile's target, else no monitor)",
      openUnitInterval('--target-accuracy'),
    )
    .option(
      '--risk <α>',
      "accuracy monitor: chance of a false alarm over the whole run, in (0, 1) (default: the tuned profile's, else 0.05)",
      openUnitInterval('--risk'),
    )
    .option(
      '--audit-rate <share>',
      'share of samples in [0, 1] run to the final exit whatever δ says (answered as usual) to record how often each exit agrees with the final one: a label-free consistency diagram',
      unitInterval('--audit-rate'),
      SERVE_DEFAULTS.auditRate,
    )
    .addOption(
      new Option(
        '--on-violation <action>',
        'when the accuracy monitor fires: recalibrate (answer from the final exit, then re-certify δ on the labelled samples that follow and swap it in), abstain (answer "abstain" until a policy with abstention is re-certified), full (answer from the final exit from then on), alert (log and metrics only)',
      )
        .choices([...VIOLATION_ACTIONS])
        .default(SERVE_DEFAULTS.onViolation),
    )
    .option(
      '--recalibration-samples <samples>',
      'labelled samples a recalibration uses after a violation: half calibrates, half certifies (Learn-then-Test)',
      positiveInteger('--recalibration-samples'),
      SERVE_DEFAULTS.recalibrationSamples,
    )
    .addOption(
      new Option(
        '--batching <mode>',
        'first-stage (batch requests at stage 0; measured faster on CPU) or per-stage (one queue per stage: continuing samples of different requests share deeper batches)',
      )
        .choices(['per-stage', 'first-stage'])
        .default('first-stage'),
    )
    .addOption(
      new Option('--log-level <level>', 'JSON log level on stdout')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info'),
    );
  return addModelOptions(command, { limit: false }).action(async (modelDirs: string[], flags: ServeFlags) => {
    const delta = flags.delta === undefined ? undefined : oneDelta(flags.delta);
    const policy = flags.policy === undefined ? undefined : onePolicy(flags.policy);
    const policies = parseRunPolicies(flags.allowedPolicies) as ServePolicyName[];
    const deltaRange = parseDeltaRange(flags.deltaRange);
    const profiles = await Promise.all(flags.profile.map(readProfileFile));
    const models = await pairProfiles(modelDirs, profiles);
    const server = await startServer({
      models,
      workers: flags.workers,
      delta,
      policy,
      abstain: flags.abstain,
      host: flags.host,
      port: flags.port,
      grpcPort: flags.grpcPort,
      load: loadOptions(flags),
      baseline: flags.baseline,
      batching: flags.batching,
      maxBatch: flags.maxBatch,
      maxDelayMs: flags.maxDelayMs,
      maxQueue: flags.maxQueue,
      maxRequestSamples: flags.maxRequestSamples,
      timeoutMs: flags.timeoutMs,
      bodyLimitBytes: flags.bodyLimitMb * 1024 * 1024,
      policies,
      deltaRange,
      driftWindow: flags.driftWindow,
      driftThreshold: flags.driftThreshold,
      feedbackCapacity: flags.feedbackCapacity,
      window: flags.window,
      targetAccuracy: flags.targetAccuracy,
      risk: flags.risk,
      auditRate: flags.auditRate,
      onViolation: flags.onViolation,
      recalibrationSamples: flags.recalibrationSamples,
      logger: { level: flags.logLevel, stream: { write: (line: string) => io.stdout(line) } },
    }).catch((error: unknown) => {
      throw withFlags(error);
    });
    // Runs until a signal; a second one gets Node's default (immediate exit).
    await new Promise<void>((resolve, reject) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        server.app.log.info({ signal }, 'signal received');
        server.close().then(resolve, reject);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
  });
}

/** Flags whose names are not the kebab-case of their `ServeOptions` setting. */
const FLAG_OF_SETTING: Readonly<Record<string, string>> = { bodyLimitBytes: '--body-limit-mb' };

/**
 * A library error whose `settingsHint` names `ServeOptions` settings, with those names said as this
 * command's flags (`maxQueue` → `--max-queue`); any other error as it is.
 */
function withFlags(error: unknown): unknown {
  const settings = (error as { settingsHint?: { settings?: readonly string[] } } | null)?.settingsHint
    ?.settings;
  if (!(error instanceof Error) || !settings) return error;
  let message = error.message;
  for (const setting of settings) {
    const flag =
      FLAG_OF_SETTING[setting] ?? `--${setting.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    message = message.replace(new RegExp(`\\b${setting}\\b`, 'g'), flag);
  }
  return new InvalidArgumentError(message, { cause: error });
}

function nonNegativeInteger(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) {
      throw new CommanderInvalidArgument(`${name} must be an integer ≥ 0, got "${value}"`);
    }
    return parsed;
  };
}

function port(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
      throw new CommanderInvalidArgument(`${name} must be an integer in [0, 65535], got "${value}"`);
    }
    return parsed;
  };
}

function openUnitInterval(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!(parsed > 0 && parsed < 1)) {
      throw new CommanderInvalidArgument(`${name} must be a number in (0, 1), got "${value}"`);
    }
    return parsed;
  };
}

function unitInterval(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!(parsed >= 0 && parsed <= 1)) {
      throw new CommanderInvalidArgument(`${name} must be a number in [0, 1], got "${value}"`);
    }
    return parsed;
  };
}

function nonNegative(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0) {
      throw new CommanderInvalidArgument(`${name} must be a number ≥ 0, got "${value}"`);
    }
    return parsed;
  };
}

function oneDelta(text: string): number {
  const deltas = parseDeltaList(text);
  if (deltas.length !== 1) throw new InvalidArgumentError(`--delta takes one value for serve, got "${text}"`);
  return deltas[0]!;
}

function onePolicy(text: string): ServePolicyName {
  const [policy, ...others] = parseRunPolicies(text);
  if (others.length > 0) throw new InvalidArgumentError(`--policy takes one name for serve, got "${text}"`);
  return policy!;
}

function parseDeltaRange(text: string): [number, number] {
  const parts = text.split(',').map((part) => Number(part.trim()));
  const [low, high] = parts;
  if (parts.length !== 2 || !(low! >= 0 && low! <= high! && high! <= 1)) {
    throw new InvalidArgumentError(
      `--delta-range must be two numbers low,high with 0 ≤ low ≤ high ≤ 1, got "${text}"; e.g. --delta-range 0.85,1`,
    );
  }
  return [low!, high!];
}
