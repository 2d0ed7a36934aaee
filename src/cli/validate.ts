// cli: `inmesh validate FILE...`: checks config files as createMesh would, and prints every
// problem with its file, line, column and key path, so a file is fixed in one round.
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { createRegistries } from '../builtins.js';
import { compileConfig } from '../config/compile.js';
import { readConfigFile } from '../config/load.js';
import { type ConfigProblem, locateProblems, type RawProblem } from '../config/problems.js';
import { type ConfigRegistries, validateConfig } from '../config/validate.js';
import { readEndpointsFile } from '../discovery/file.js';
import { InmeshError } from '../errors.js';
import { type CliIo, type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, parseCommandArgs } from './command.js';

const HELP = `Usage: inmesh validate FILE...

Checks mesh config files (YAML, or JSON for .json) as createMesh would: the schema, discovery
kinds and load balancers, subset references and regular expressions, and the endpoints files of
\`file:\` discovery sources. Prints "FILE: ok", or every problem as

  file:line:column  key.path: message

Exits 0 when every file is valid, 1 when one is not, 2 on a usage error.
Only the built-in discovery kinds and load balancers are known.
`;

/** A problem line; files are shown as given on the command line, or relative to the cwd. */
function formatProblem(problem: ConfigProblem, shown: (file: string) => string): string {
  const file = problem.file ? shown(problem.file) : undefined;
  const where = file ? `${file}${problem.line ? `:${problem.line}:${problem.column}` : ''}  ` : '';
  return `${where}${problem.path}: ${problem.message}`;
}

/** Every problem in one config file (empty when it is valid). */
export async function validateFile(file: string, registries: ConfigRegistries = createRegistries()): Promise<ConfigProblem[]> {
  let doc: Awaited<ReturnType<typeof readConfigFile>>;
  try {
    doc = await readConfigFile(file);
  } catch (err) {
    // A syntax error is a list of located problems; an unreadable file is not (rethrown).
    if (err instanceof InmeshError && err.code === 'ERR_CONFIG_INVALID') return (err.details?.problems as ConfigProblem[]) ?? [];
    throw err;
  }
  const result = validateConfig(doc.value, registries);
  if (!result.ok) return locateProblems(result.problems, doc);

  // createMesh fails when the first read of an endpoints file fails: check them too.
  const snapshot = compileConfig(result.config, doc.file);
  const baseDir = dirname(doc.file ?? resolve(file));
  const problems: ConfigProblem[] = [];
  const unreadable: RawProblem[] = [];
  for (const [index, source] of snapshot.discovery.entries()) {
    if (source.kind !== 'file') continue;
    const path = resolve(baseDir, (source.options as { path: string }).path);
    try {
      await readEndpointsFile(path);
    } catch (err) {
      if (err instanceof InmeshError && err.code === 'ERR_CONFIG_INVALID') {
        problems.push(...((err.details?.problems as ConfigProblem[]) ?? []));
      } else {
        unreadable.push({ path: ['discovery', index, 'file', 'path'], message: (err as Error).message });
      }
    }
  }
  return [...(await locateProblems(unreadable, doc)), ...problems];
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs('validate', validateCommand, args, io);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length === 0) {
    io.stderr(`inmesh validate: no FILE given\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const registries = createRegistries();
  let code = EXIT_OK;
  for (const file of parsed.positionals) {
    const shown = (path: string) => {
      if (path === resolve(file)) return file;
      const rel = relative(process.cwd(), path);
      return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
    };
    let problems: ConfigProblem[];
    try {
      problems = await validateFile(file, registries);
    } catch (err) {
      io.stderr(`${file}: ${err instanceof InmeshError ? `${err.code}: ` : ''}${(err as Error).message}\n`);
      code = EXIT_FAILURE;
      continue;
    }
    if (problems.length === 0) {
      io.stdout(`${file}: ok\n`);
      continue;
    }
    code = EXIT_FAILURE;
    io.stderr(`${problems.map((problem) => formatProblem(problem, shown)).join('\n')}\n`);
    io.stderr(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
  }
  return code;
}

export const validateCommand: Command = {
  summary: 'Check config files and print every problem with its line and key path',
  help: HELP,
  run,
};
