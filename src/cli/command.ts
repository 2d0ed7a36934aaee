// cli: what a subcommand is, and the one argument parser they share. Output goes through injected
// writers, so a command is tested by calling it, without spawning a process.
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Where a command writes: the process's stdout and stderr, or a test's buffers. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** True when stdout is a terminal (live progress lines are drawn only then). */
  readonly isTTY?: boolean;
}

/** One `inmesh <name>` subcommand. */
export interface Command {
  /** One line for `inmesh --help`. */
  readonly summary: string;
  /** `inmesh <name> --help`: usage, then what the arguments and options do. Ends with a newline. */
  readonly help: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Success. */
export const EXIT_OK = 0;
/** The command ran and found a failure (an invalid config). */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong. */
export const EXIT_USAGE = 2;

export interface CommandArgs {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * Parses a command's arguments with node:util's parseArgs (unknown options are errors) and
 * answers `--help`. Returns an exit code instead when the command should stop there.
 */
export function parseCommandArgs(
  name: string,
  command: Pick<Command, 'help'>,
  args: readonly string[],
  io: CliIo,
  options: NonNullable<ParseArgsConfig['options']> = {},
): CommandArgs | number {
  let parsed: CommandArgs;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    io.stderr(`inmesh ${name}: ${(err as Error).message}\n\n${command.help}`);
    return EXIT_USAGE;
  }
  if (parsed.values.help === true) {
    io.stdout(command.help);
    return EXIT_OK;
  }
  return parsed;
}
