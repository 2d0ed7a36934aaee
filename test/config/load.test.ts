import { describe, expect, it } from 'vitest';
import { createRegistries } from '../../src/builtins.js';
import { checkConfig, loadConfig } from '../../src/config/load.js';
import type { ConfigProblem } from '../../src/config/problems.js';
import { InmeshError } from '../../src/errors.js';
import { useTempDir } from '../helpers/temp-dir.js';

const registries = createRegistries();

/** The ERR_CONFIG_INVALID `promise` rejects with, and its problems. */
async function invalid(promise: Promise<unknown>): Promise<{ error: InmeshError; problems: ConfigProblem[] }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InmeshError);
  expect((error as InmeshError).code).toBe('ERR_CONFIG_INVALID');
  return { error: error as InmeshError, problems: (error as InmeshError).details?.problems as ConfigProblem[] };
}

const byPath = (problems: readonly ConfigProblem[], path: string) => {
  const found = problems.find((p) => p.path === path);
  expect(found, `a problem at ${path} in ${JSON.stringify(problems, null, 2)}`).toBeDefined();
  return found as ConfigProblem;
};

describe('loadConfig from a file', () => {
  const dir = useTempDir();

  it('reports three mistakes in a YAML file at once, each with its line, column and key path', async () => {
    const file = await dir.write(
      'mesh.yaml',
      [
        'service: orders', //                          1
        'discovery:', //                               2
        '  - static:', //                              3
        '      payments: [127.0.0.1:9001]', //         4
        'services:', //                                5
        '  payments:', //                              6
        '    timeout: 2 s', //                         7  bad duration
        '    retires: { attempts: 3 }', //             8  typo in a key
        '    connections:', //                         9
        '      maxPerEndpoint: 0', //                  10 out of range
        '',
      ].join('\n'),
    );
    const { error, problems } = await invalid(loadConfig(file, registries));

    expect(problems).toHaveLength(3);
    expect(byPath(problems, 'services.payments.timeout')).toEqual({
      path: 'services.payments.timeout',
      message: 'expected a duration such as 250ms, 2s, 1m or 1h, got "2 s"',
      file,
      line: 7,
      column: 14,
    });
    const typo = byPath(problems, 'services.payments.retires');
    expect(typo).toMatchObject({ file, line: 8, column: 5 });
    expect(typo.message).toContain('unknown key "retires"');
    expect(typo.message).toContain('did you mean retries?');
    expect(byPath(problems, 'services.payments.connections.maxPerEndpoint')).toEqual({
      path: 'services.payments.connections.maxPerEndpoint',
      message: 'expected an integer from 1 to 100000, got 0',
      file,
      line: 10,
      column: 23,
    });

    // One error whose message lists them all in the order of the file, `file:line:col  path: message`.
    expect(problems.map((p) => p.line)).toEqual([7, 8, 10]);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe(`Invalid configuration in ${file} (3 problems):`);
    expect(lines[1]).toMatch(`  ${file}:7:14  services.payments.timeout: expected a duration`);
    expect(lines[2]).toMatch(`  ${file}:8:5  services.payments.retires: unknown key "retires"`);
    expect(lines[3]).toMatch(`  ${file}:10:23  services.payments.connections.maxPerEndpoint: expected an integer`);
  });

  it('locates problems found in the second pass (registries, cross-references) as well', async () => {
    const file = await dir.write(
      'mesh.yaml',
      [
        'discovery:', //                                  1
        '  - consul: {}', //                              2
        'services:', //                                   3
        '  payments:', //                                 4
        '    loadBalancer: fastest', //                   5
        '    subsets: { v1: { version: v1 } }', //        6
        '    routes:', //                                 7
        '      - to: [{ subset: v3 }]', //                8
        '',
      ].join('\n'),
    );
    const { problems } = await invalid(loadConfig(file, registries));
    expect(problems).toHaveLength(3);
    expect(byPath(problems, 'discovery[0].consul')).toMatchObject({ line: 2, column: 5 });
    expect(byPath(problems, 'services.payments.loadBalancer')).toMatchObject({ line: 5, column: 19 });
    expect(byPath(problems, 'services.payments.routes[0].to[0].subset')).toMatchObject({ line: 8, column: 24 });
  });

  it('locates problems in a JSON file', async () => {
    const file = await dir.write(
      'mesh.json',
      `{
  "services": {
    "payments": {
      "retries": { "attempts": 9 },
      "protocl": "https"
    }
  }
}
`,
    );
    const { problems } = await invalid(loadConfig(file, registries));
    expect(problems).toHaveLength(2);
    expect(byPath(problems, 'services.payments.retries.attempts')).toMatchObject({
      file,
      line: 4,
      column: 32,
      message: 'expected an integer from 1 to 5, got 9',
    });
    const typo = byPath(problems, 'services.payments.protocl');
    expect(typo).toMatchObject({ file, line: 5, column: 7 });
    expect(typo.message).toContain('did you mean protocol?');
  });

  it('reports a JSON syntax error with its line and column', async () => {
    const file = await dir.write('mesh.json', '{\n  "services": {\n    "payments": {},\n  }\n}\n');
    const { problems } = await invalid(loadConfig(file, registries));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: '(root)', file, line: 4, column: 3 });
    expect(problems[0]?.message).toMatch(/^JSON syntax error: /);
  });

  it('reports YAML syntax errors with their lines', async () => {
    const file = await dir.write('mesh.yaml', 'services:\n  payments:\n    timeout: 2s\n   retries: {\n');
    const { error, problems } = await invalid(loadConfig(file, registries));
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(problem.message).toMatch(/^YAML syntax error: /);
      expect(problem.file).toBe(file);
      expect(problem.line).toBeGreaterThanOrEqual(4);
      expect(problem.column).toBeGreaterThan(0);
    }
    expect(error.message).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+  \\(root\\): YAML syntax error`));
  });

  it('reports a duplicate key in YAML as an error, not a silent override', async () => {
    const file = await dir.write('mesh.yaml', 'services:\n  payments: {}\n  payments: {}\n');
    const { problems } = await invalid(loadConfig(file, registries));
    expect(problems[0]).toMatchObject({ line: 3 });
    expect(problems[0]?.message).toMatch(/YAML syntax error: .*unique/i);
  });

  it('fails with ERR_CONFIG_READ, cause kept, when the file cannot be read', async () => {
    const missing = `${dir.path}/nope.yaml`;
    const error = await loadConfig(missing, registries).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InmeshError);
    expect((error as InmeshError).code).toBe('ERR_CONFIG_READ');
    expect((error as InmeshError).message).toContain(missing);
    expect(((error as InmeshError).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('compiles a valid file and remembers where it came from', async () => {
    const file = await dir.write('mesh.yml', 'services:\n  payments:\n    timeout: 2s\n');
    const snapshot = await loadConfig(file, registries);
    expect(snapshot.source).toBe(file);
    expect(snapshot.services.get('payments')?.routes[0]?.timeoutMs).toBe(2000);
  });

  it('reads an empty file as an empty config', async () => {
    const file = await dir.write('mesh.yaml', '# nothing yet\n');
    const snapshot = await loadConfig(file, registries);
    expect(snapshot.services.size).toBe(0);
  });
});

describe('loadConfig from an object', () => {
  it('reports problems with their key paths and no file', async () => {
    const { error, problems } = await invalid(loadConfig({ services: { payments: { timeout: 2 as unknown as string } } }, registries));
    expect(problems).toEqual([{ path: 'services.payments.timeout', message: 'expected a duration string such as 250ms or 2s, got 2' }]);
    expect(error.message).toBe(
      'Invalid configuration (1 problem):\n  services.payments.timeout: expected a duration string such as 250ms or 2s, got 2',
    );
  });

  it('rejects what is not a path or an object with ERR_INVALID_ARGUMENT', async () => {
    const error = await loadConfig(42 as never, registries).catch((e: unknown) => e);
    expect((error as InmeshError).code).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('checkConfig', () => {
  const dir = useTempDir();

  it('returns no problems for a valid config', async () => {
    expect(await checkConfig({ services: { payments: {} } }, registries)).toEqual([]);
  });

  it('returns every problem instead of throwing', async () => {
    const file = await dir.write('mesh.yaml', 'services:\n  payments:\n    timeout: soon\n    retries: { attempts: 0 }\n');
    const problems = await checkConfig(file, registries);
    expect(problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual([
      '3:14 services.payments.timeout',
      '4:26 services.payments.retries.attempts',
    ]);
  });

  it('still throws what is not a config problem', async () => {
    await expect(checkConfig(`${dir.path}/missing.yaml`, registries)).rejects.toMatchObject({ code: 'ERR_CONFIG_READ' });
  });
});
