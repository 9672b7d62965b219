import { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { registerAttach } from './commands/attach.js';
import { registerBench } from './commands/bench.js';
import { registerCalibrate } from './commands/calibrate.js';
import { registerDemo } from './commands/demo.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerInspect } from './commands/inspect.js';
import { registerMerge } from './commands/merge.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';
import { registerSplit } from './commands/split.js';
import { registerTrace } from './commands/trace.js';
import { registerTune } from './commands/tune.js';

/** Every command module exports one `register…(program, io)`; this is the list. */
const COMMANDS = [
  registerSplit,
  registerAttach,
  registerInspect,
  registerCalibrate,
  registerMerge,
  registerTune,
  registerEvaluate,
  registerTrace,
  registerRun,
  registerBench,
  registerServe,
  registerReport,
  registerDemo,
];

/**
 * Builds the `pcee` program. Commander's own messages (usage errors, help) go to `io`,
 * and it throws instead of exiting so `main` maps errors to exit codes.
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('pcee')
    .description(
      'Performance Control Early Exiting: calibrate early-exit models on held-out data and exit only where the measured accuracy reaches your target δ.',
    )
    .version(PACKAGE_VERSION)
    .option('--debug', 'print stack traces for errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  for (const register of COMMANDS) {
    const command = register(program, io);
    command
      .exitOverride()
      .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
      .showHelpAfterError(`(run pcee ${command.name()} --help for usage)`);
  }
  return program;
}

declare const __PCEE_VERSION__: string | undefined;
const PACKAGE_VERSION = typeof __PCEE_VERSION__ === 'string' ? __PCEE_VERSION__ : '0.1.0';
