// cli: the `inmesh` command (dist/cli.js). It picks a subcommand from `commands` and runs it; each
// subcommand parses its own arguments (command.ts). Run, never imported by the library.
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caCommand } from './ca.js';
import { type CliIo, type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './command.js';
import { demoCommand } from './demo.js';
import { validateCommand } from './validate.js';

/**
 * The subcommands, by name. To add one, write `src/cli/<name>.ts` exporting a {@link Command}
 * and list it here; `--help` lists it in this order.
 */
export const commands: Readonly<Record<string, Command>> = {
  demo: demoCommand,
  validate: validateCommand,
  ca: caCommand,
  // gateway: gatewayCommand,  (run the edge gateway from a config file)
};

/** The version in package.json, found by walking up from this file (src/cli or dist). */
export function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'inmesh' && pkg.version) return pkg.version;
    } catch {
      // No package.json here; keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

export function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const list = Object.entries(commands)
    .map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`)
    .join('\n');
  return `Usage: inmesh <command> [options]

Commands:
${list}

Options:
  -h, --help     Show this help, or a command's help: inmesh <command> --help
  -v, --version  Show the version
`;
}

const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
};

/** Runs `inmesh` with `argv` (the arguments after the program name); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stderr(helpText());
    return EXIT_USAGE;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    const topic = args[0] === undefined ? undefined : commands[args[0]];
    io.stdout(topic ? topic.help : helpText());
    return EXIT_OK;
  }
  if (name === '-v' || name === '--version') {
    io.stdout(`${version()}\n`);
    return EXIT_OK;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    io.stderr(`inmesh: unknown command "${name}"; commands: ${Object.keys(commands).join(', ')}. See inmesh --help.\n`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    // A bug or an unexpected failure: say what, without a stack trace for InmeshErrors.
    const code = (err as { code?: unknown }).code;
    io.stderr(`inmesh ${name}: ${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).message ?? String(err)}\n`);
    return EXIT_FAILURE;
  }
}

/** True when this module is the program being run (node dist/cli.js, or the `inmesh` bin link). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then((code) => {
    // exitCode rather than exit(): pending writes to a pipe are flushed first.
    process.exitCode = code;
  });
}
