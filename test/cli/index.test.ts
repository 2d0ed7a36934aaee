import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { commands, helpText, main, version } from '../../src/cli/index.js';
import { type CliRun, runCaptured } from '../helpers/cli-io.js';
import { useTempDir } from '../helpers/temp-dir.js';

function inmesh(...argv: string[]): Promise<CliRun> {
  return runCaptured((io) => main(argv, io));
}

describe('inmesh', () => {
  const dir = useTempDir();

  it('runs a subcommand with the arguments after its name', async () => {
    const file = await dir.write('mesh.yaml', 'services: { a: {} }\n');
    expect(await inmesh('validate', file)).toEqual({ code: 0, stdout: `${file}: ok\n`, stderr: '' });
  });

  it('--help lists every command with its summary', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const { code, stdout } = await inmesh(flag);
      expect(code).toBe(0);
      expect(stdout).toBe(helpText());
    }
    // Names are padded to the longest one: match the name, spaces, then the summary.
    for (const [name, command] of Object.entries(commands)) {
      expect(helpText()).toMatch(new RegExp(`\\n  ${name} +${command.summary.replace(/[()]/g, '\\$&')}\\n`));
    }
  });

  it("help COMMAND and COMMAND --help print that command's help", async () => {
    expect((await inmesh('help', 'validate')).stdout).toBe(commands.validate?.help);
    expect((await inmesh('validate', '--help')).stdout).toBe(commands.validate?.help);
  });

  it('--version prints the version of package.json', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(version()).toBe(pkg.version);
    for (const flag of ['--version', '-v']) expect(await inmesh(flag)).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('without arguments prints the help to stderr and exits 2', async () => {
    expect(await inmesh()).toEqual({ code: 2, stdout: '', stderr: helpText() });
  });

  it('an unknown command exits 2 and lists the known ones', async () => {
    const { code, stderr } = await inmesh('valdate', 'mesh.yaml');
    expect(code).toBe(2);
    expect(stderr).toBe(`inmesh: unknown command "valdate"; commands: ${Object.keys(commands).join(', ')}. See inmesh --help.\n`);
    // Not fooled by Object.prototype.
    expect((await inmesh('toString')).code).toBe(2);
  });
});
