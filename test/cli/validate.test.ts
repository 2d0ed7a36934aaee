import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateCommand, validateFile } from '../../src/cli/validate.js';
import { type CliRun, runCaptured } from '../helpers/cli-io.js';
import { useTempDir } from '../helpers/temp-dir.js';

/** Runs `inmesh validate ...args` with captured output. */
function validate(...args: string[]): Promise<CliRun> {
  return runCaptured((io) => validateCommand.run(args, io));
}

const VALID = `service: orders
discovery:
  - static:
      payments: [127.0.0.1:9001]
services:
  payments:
    timeout: 2s
    retries: { attempts: 3, on: [connect-failure, 503] }
`;

const THREE_MISTAKES = `services:
  payments:
    timeout: 2 s
    retires: { attempts: 3 }
    connections:
      maxPerEndpoint: 0
`;

describe('inmesh validate', () => {
  const dir = useTempDir();

  it('prints "FILE: ok" and exits 0 for a valid file', async () => {
    const file = await dir.write('mesh.yaml', VALID);
    expect(await validate(file)).toEqual({ code: 0, stdout: `${file}: ok\n`, stderr: '' });
  });

  it('prints every problem as file:line:col  path: message and exits 1', async () => {
    const file = await dir.write('mesh.yaml', THREE_MISTAKES);
    const { code, stdout, stderr } = await validate(file);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([
      `${file}:3:14  services.payments.timeout: expected a duration such as 250ms, 2s, 1m or 1h, got "2 s"`,
      `${file}:4:5  services.payments.retires: unknown key "retires"; expected one of: loadBalancer, timeout, retries, circuitBreaker, outlierDetection, healthCheck, connections, mtls, identity, protocol, subsets, routes (did you mean retries?)`,
      `${file}:6:23  services.payments.connections.maxPerEndpoint: expected an integer from 1 to 100000, got 0`,
      `${file}: 3 problems`,
      '',
    ]);
  });

  it('shows the file as it was given on the command line', async () => {
    const file = await dir.write('mesh.yaml', 'services:\n  a: { timeout: soon }\n');
    const given = relative(process.cwd(), file);
    const { code, stderr } = await validate(given);
    expect(code).toBe(1);
    expect(stderr).toContain(`${given}:2:17  services.a.timeout: expected a duration`);
    expect(stderr).toContain(`${given}: 1 problem\n`);
  });

  it('reports YAML syntax errors with their lines', async () => {
    const file = await dir.write('mesh.yaml', 'services:\n  a:\n    timeout: 2s\n   retries: [\n');
    const { code, stderr } = await validate(file);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^${escapeRegExp(file)}:4:\\d+  \\(root\\): YAML syntax error: `, 'm'));
  });

  it('reports problems found against the registries: unknown discovery kind and load balancer', async () => {
    const file = await dir.write('mesh.yaml', 'discovery:\n  - consul: {}\nservices:\n  a:\n    loadBalancer: fastest\n');
    const { code, stderr } = await validate(file);
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}:2:5  discovery[0].consul: unknown discovery kind "consul"; known: static, file, dns\n`);
    expect(stderr).toContain(
      `${file}:5:19  services.a.loadBalancer: unknown load balancer "fastest"; known: peak-ewma, round-robin, least-request, ring-hash\n`,
    );
  });

  it('checks the endpoints files of file: discovery, relative to the config file', async () => {
    await dir.write('endpoints.yaml', 'payments:\n  - 127.0.0.1:9001\n  - { adress: 127.0.0.1:9002 }\n');
    const file = await dir.write('mesh.yaml', 'discovery:\n  - file: { path: endpoints.yaml }\n  - file: { path: missing.yaml }\n');
    const { code, stderr } = await validate(file);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(`^${escapeRegExp(file)}:3:19  discovery\\[1\\]\\.file\\.path: cannot read endpoints file .*missing\\.yaml`, 'm'),
    );
    expect(stderr).toMatch(/endpoints\.yaml:3:7 {2}payments\[1\]\.adress: unknown key "adress"; .*\(did you mean address\?\)/);
  });

  it('validates JSON files', async () => {
    const ok = await dir.write('ok.json', JSON.stringify({ services: { a: { timeout: '1s' } } }));
    const bad = await dir.write('bad.json', '{\n  "services": { "a": { "timeout": 1 } }\n}\n');
    expect(await validate(ok)).toMatchObject({ code: 0, stdout: `${ok}: ok\n` });
    const { code, stderr } = await validate(bad);
    expect(code).toBe(1);
    expect(stderr).toContain(`${bad}:2:35  services.a.timeout: expected a duration string such as 250ms or 2s, got 1\n`);
  });

  it('checks every file given, and exits 1 if any is invalid', async () => {
    const ok = await dir.write('ok.yaml', VALID);
    const bad = await dir.write('bad.yaml', 'servics: {}\n');
    const { code, stdout, stderr } = await validate(ok, bad);
    expect(code).toBe(1);
    expect(stdout).toBe(`${ok}: ok\n`);
    expect(stderr).toContain(`${bad}:1:1  servics: unknown key "servics"`);
  });

  it('says when a file cannot be read, and exits 1', async () => {
    const missing = `${dir.path}/nope.yaml`;
    const { code, stdout, stderr } = await validate(missing);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^${escapeRegExp(missing)}: ERR_CONFIG_READ: cannot read config file .*nope\\.yaml: ENOENT`));
  });

  it('exits 2 with the usage when no file is given, or an option is unknown', async () => {
    const none = await validate();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('inmesh validate: no FILE given');
    expect(none.stderr).toContain('Usage: inmesh validate FILE...');

    const unknown = await validate('--strict', 'mesh.yaml');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^inmesh validate: Unknown option '--strict'/);
  });

  it('--help prints the usage and exits 0', async () => {
    const { code, stdout, stderr } = await validate('--help');
    expect(code).toBe(0);
    expect(stdout).toBe(validateCommand.help);
    expect(stdout).toMatch(/^Usage: inmesh validate FILE\.\.\./);
    expect(stderr).toBe('');
  });
});

describe('validateFile', () => {
  const dir = useTempDir();

  it('returns the located problems, or none', async () => {
    expect(await validateFile(await dir.write('ok.yaml', VALID))).toEqual([]);
    const problems = await validateFile(await dir.write('bad.yaml', THREE_MISTAKES));
    expect(problems.map((p) => [p.line, p.column, p.path])).toEqual([
      [3, 14, 'services.payments.timeout'],
      [4, 5, 'services.payments.retires'],
      [6, 23, 'services.payments.connections.maxPerEndpoint'],
    ]);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
