import { describe, expect, it } from 'vitest';
import { isJsonFile, jsonSyntaxError, parseSource } from '../../src/config/parse.js';
import type { ConfigProblem } from '../../src/config/problems.js';
import { InmeshError } from '../../src/errors.js';

async function syntaxProblems(text: string, file: string): Promise<ConfigProblem[]> {
  const error = await parseSource(text, file).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InmeshError);
  expect((error as InmeshError).code).toBe('ERR_CONFIG_INVALID');
  return (error as InmeshError).details?.problems as ConfigProblem[];
}

describe('isJsonFile', () => {
  it('is true for .json only, in any case; anything else is read as YAML', () => {
    expect(isJsonFile('mesh.json')).toBe(true);
    expect(isJsonFile('/etc/inmesh/MESH.JSON')).toBe(true);
    expect(isJsonFile('mesh.yaml')).toBe(false);
    expect(isJsonFile('mesh.yml')).toBe(false);
    expect(isJsonFile('mesh')).toBe(false);
    expect(isJsonFile(undefined)).toBe(false);
  });
});

describe('parseSource', () => {
  it('reads YAML and JSON into the same value', async () => {
    const yaml = await parseSource('services:\n  a: { timeout: 2s }\n', 'mesh.yaml');
    const json = await parseSource('{ "services": { "a": { "timeout": "2s" } } }', 'mesh.json');
    expect(yaml.value).toEqual({ services: { a: { timeout: '2s' } } });
    expect(json.value).toEqual(yaml.value);
    expect(yaml.file).toBe('mesh.yaml');
  });

  it('reads YAML when there is no file name', async () => {
    expect((await parseSource('a: 1')).value).toEqual({ a: 1 });
  });

  it('resolves YAML anchors and aliases', async () => {
    const doc = await parseSource('x: &r { attempts: 3 }\nservices:\n  a: { retries: *r }\n', 'mesh.yaml');
    expect(doc.value).toEqual({ x: { attempts: 3 }, services: { a: { retries: { attempts: 3 } } } });
  });

  it('refuses a billion-laughs alias bomb instead of expanding it', async () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    await expect(parseSource(lines.join('\n'), 'bomb.yaml')).rejects.toThrow(/alias/i);
  });
});

describe('syntax errors', () => {
  it('YAML: each error with its line and column', async () => {
    const problems = await syntaxProblems('services:\n  a:\n    timeout: 2s\n   bad: [\n', 'mesh.yaml');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({ path: '(root)', file: 'mesh.yaml', line: 4 });
    for (const problem of problems) {
      expect(problem.message).toMatch(/^YAML syntax error: \S/);
      // One line of the yaml package's message; the code excerpt it adds is not repeated.
      expect(problem.message).not.toContain('\n');
      expect(problem.column).toBeGreaterThan(0);
    }
  });

  it('YAML: a tab used for indentation', async () => {
    const problems = await syntaxProblems('services:\n\ta: {}\n', 'mesh.yaml');
    expect(problems[0]).toMatchObject({ line: 2 });
  });

  it('YAML: a duplicate key', async () => {
    const problems = await syntaxProblems('a: 1\nb: 2\na: 3\n', 'mesh.yaml');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 3, column: 1 });
  });

  it('JSON: the line and column of the error, whatever the Node version says', async () => {
    // V8 gives no position for this one ("Unexpected token '}', ..."), and a multi-line excerpt.
    const problems = await syntaxProblems('{\n  "a": 1,\n  "b": }\n', 'mesh.json');
    expect(problems).toEqual([
      { path: '(root)', message: 'JSON syntax error: expected a value, got "}"', file: 'mesh.json', line: 3, column: 8 },
    ]);
  });

  it('JSON: a byte order mark is not an error', async () => {
    expect((await parseSource('\uFEFF{ "a": 1 }', 'mesh.json')).value).toEqual({ a: 1 });
  });

  it('the error message lists the problems under the file name', async () => {
    const error = (await parseSource('{', 'conf/mesh.json').catch((e: unknown) => e)) as InmeshError;
    expect(error.message).toMatch(
      /^Invalid configuration in conf\/mesh\.json \(1 problem\):\n {2}conf\/mesh\.json:\d+:\d+ {2}\(root\): JSON syntax error/,
    );
  });
});

describe('the locator', () => {
  const text = [
    'services:', //                  1
    '  payments:', //                2
    '    retries:', //               3
    '      attempts: 9', //          4
    '    routes:', //                5
    '      - name: a', //            6
    '      - to: [{ subset: v2 }]', // 7
    '',
  ].join('\n');

  it('finds a value by its key path (1-based line and column)', async () => {
    const locate = await (await parseSource(text, 'mesh.yaml')).locator();
    expect(locate(['services', 'payments', 'retries', 'attempts'], false)).toEqual({ line: 4, column: 17 });
    expect(locate(['services', 'payments', 'routes', 1, 'to', 0, 'subset'], false)).toEqual({ line: 7, column: 24 });
  });

  it('finds the key itself for problems about the key', async () => {
    const locate = await (await parseSource(text, 'mesh.yaml')).locator();
    expect(locate(['services', 'payments', 'retries', 'attempts'], true)).toEqual({ line: 4, column: 7 });
    expect(locate(['services'], true)).toEqual({ line: 1, column: 1 });
  });

  it('falls back to the nearest parent that exists (a missing key)', async () => {
    const locate = await (await parseSource(text, 'mesh.yaml')).locator();
    expect(locate(['services', 'payments', 'retries', 'budget', 'ratio'], false)).toEqual({ line: 4, column: 7 });
    expect(locate(['nothing', 'here'], false)).toEqual({ line: 1, column: 1 });
  });

  it('works for JSON too', async () => {
    const json = '{\n  "services": {\n    "a": { "timeout": 5 }\n  }\n}\n';
    const locate = await (await parseSource(json, 'mesh.json')).locator();
    expect(locate(['services', 'a', 'timeout'], false)).toEqual({ line: 3, column: 23 });
    expect(locate(['services', 'a', 'timeout'], true)).toEqual({ line: 3, column: 12 });
  });
});

describe('jsonSyntaxError', () => {
  it.each([
    ['{', 1, 'expected a double-quoted key, got the end of the file'],
    ['{"a" 1}', 5, 'expected \':\' after the key, got "1"'],
    ['{"a": 1,}', 8, 'expected a double-quoted key, got "}"'],
    ['[1,]', 3, 'expected a value, got "]"'],
    ['[1 2]', 3, "expected ',' or ']', got \"2\""],
    ['{"a": 1}x', 8, 'expected the end of the file, got "x"'],
    ["{'a': 1}", 1, 'expected a double-quoted key, got "\'"'],
    ['{"a": tru}', 6, 'expected a value, got "t"'],
    ['{"a": "x\ny"}', 8, 'expected a closing quote before the end of the line, got "\\n"'],
    ['"\\q"', 2, 'expected an escape sequence (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), got "q"'],
    ['"\\u12"', 2, 'expected four hex digits after \\u, got "u"'],
    ['{"a": 01}', 7, "expected ',' or '}', got \"1\""],
    ['', 0, 'expected a value, got the end of the file'],
  ])('%j fails at offset %i: %s', (text, offset, message) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(jsonSyntaxError(text)).toEqual({ offset, message });
  });

  it('finds nothing wrong with valid JSON', () => {
    for (const text of ['{}', '[]', '0', '-1.5e+3', '"a\\u00e9\\n"', ' { "a": [true, false, null, {"b": []}] } ']) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(jsonSyntaxError(text)).toBeUndefined();
    }
  });
});
