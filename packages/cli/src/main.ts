import { PceeError } from '@pcee/core';
import { CommanderError } from 'commander';
import { type CliIo, processIo } from './cli-io.js';
import { describeError } from './error-hints.js';
import { buildProgram } from './program.js';
import { UserError } from './user-error.js';

/** Exit codes: 0 success, 1 a user mistake or bad input, 2 wrong usage. */
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/**
 * Runs the `pcee` command with `argv` (without `node` and the script) and resolves to the
 * exit code. User mistakes print one line `error: …` on stderr; a stack trace only with
 * `--debug`. Output goes through `io`, so tests can capture it.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const debug = argv.includes('--debug');
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message; help and version are not errors.
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return 0;
      return EXIT_USAGE;
    }
    if (error instanceof PceeError || error instanceof UserError) {
      io.stderr(`error: ${error instanceof PceeError ? describeError(error) : error.message}\n`);
      if (debug) io.stderr(`${error.stack}\n`);
      return EXIT_ERROR;
    }
    io.stderr(`error: unexpected failure: ${(error as Error)?.message ?? String(error)}\n`);
    io.stderr(
      debug
        ? `${(error as Error)?.stack}\n`
        : 'run again with --debug for the stack trace, and report it as a bug\n',
    );
    return EXIT_ERROR;
  }
}
