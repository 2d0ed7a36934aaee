import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../src/config/parse.js';
import { configInvalid, formatPath, formatProblems, issuesToProblems, locateProblems } from '../../src/config/problems.js';
import { strict } from '../../src/config/schema.js';

function problemsOf(schema: v.GenericSchema, value: unknown) {
  const result = v.safeParse(schema, value, { abortEarly: false });
  expect(result.success).toBe(false);
  return result.success ? [] : issuesToProblems(result.issues);
}

describe('formatPath', () => {
  it('joins keys with dots and indexes with brackets', () => {
    expect(formatPath(['services', 'payments', 'routes', 0, 'to', 1, 'subset'])).toBe('services.payments.routes[0].to[1].subset');
    expect(formatPath(['discovery', 0])).toBe('discovery[0]');
  });

  it('keeps names with dashes readable, and quotes the rest', () => {
    expect(formatPath(['services', 'order-api', 'timeout'])).toBe('services.order-api.timeout');
    expect(formatPath(['services', 'orders.v1', 'timeout'])).toBe('services["orders.v1"].timeout');
    expect(formatPath(['services', 'bad name'])).toBe('services["bad name"]');
    expect(formatPath(['$schema'])).toBe('$schema');
  });

  it('calls the empty path (root)', () => {
    expect(formatPath([])).toBe('(root)');
  });
});

describe('issuesToProblems', () => {
  const schema = strict({
    retries: v.optional(strict({ attempts: v.optional(v.number()), perTryTimeout: v.optional(v.string()) })),
    breaker: v.optional(v.union([v.literal(false), strict({ threshold: v.number() })], 'expected false or a breaker object')),
  });

  it('suggests the closest key when it is close enough', () => {
    expect(problemsOf(schema, { retries: { atempts: 1 } })).toEqual([
      {
        path: ['retries', 'atempts'],
        atKey: true,
        message: 'unknown key "atempts"; expected one of: attempts, perTryTimeout (did you mean attempts?)',
      },
    ]);
    // Case does not count against a suggestion.
    expect(problemsOf(schema, { retries: { PerTryTimeout: '1s' } })[0]?.message).toContain('(did you mean perTryTimeout?)');
  });

  it('does not suggest a key that is not close', () => {
    expect(problemsOf(schema, { retries: { backoff: {} } })[0]?.message).toBe(
      'unknown key "backoff"; expected one of: attempts, perTryTimeout',
    );
  });

  it('reports the problem inside the object branch of a union, with the full path', () => {
    expect(problemsOf(schema, { breaker: { treshold: 5 } })).toEqual([
      // The required key is missing, and the typo is why.
      { path: ['breaker', 'threshold'], atKey: false, message: 'missing key "threshold"' },
      { path: ['breaker', 'treshold'], atKey: true, message: expect.stringContaining('did you mean threshold?') },
    ]);
  });

  it("keeps the union's own message when no branch got into the value", () => {
    expect(problemsOf(schema, { breaker: 'off' })).toEqual([
      { path: ['breaker'], atKey: false, message: 'expected false or a breaker object' },
    ]);
  });

  it('puts a prefix in front of every path', () => {
    const result = v.safeParse(schema, { retries: { attempts: 'x' } });
    expect(result.success ? [] : issuesToProblems(result.issues, ['discovery', 2, 'custom'])[0]?.path).toEqual([
      'discovery',
      2,
      'custom',
      'retries',
      'attempts',
    ]);
  });
});

describe('locating and formatting', () => {
  it('locates each problem and formats one line per problem', async () => {
    const doc = await parseSource('retries:\n  atempts: 1\nbreaker: off\n', 'conf/mesh.yaml');
    const located = await locateProblems(
      [
        { path: ['retries', 'atempts'], atKey: true, message: 'unknown key' },
        { path: ['breaker'], message: 'expected false' },
      ],
      doc,
    );
    expect(located).toEqual([
      { path: 'retries.atempts', message: 'unknown key', file: 'conf/mesh.yaml', line: 2, column: 3 },
      { path: 'breaker', message: 'expected false', file: 'conf/mesh.yaml', line: 3, column: 10 },
    ]);
    expect(formatProblems(located)).toBe(
      '  conf/mesh.yaml:2:3  retries.atempts: unknown key\n  conf/mesh.yaml:3:10  breaker: expected false',
    );
  });

  it('without a document, problems have a path and no position', async () => {
    const located = await locateProblems([{ path: ['a', 0], message: 'bad' }], undefined);
    expect(located).toEqual([{ path: 'a[0]', message: 'bad' }]);
    expect(formatProblems(located)).toBe('  a[0]: bad');
  });

  it('configInvalid is one ERR_CONFIG_INVALID with every problem in its message and details', () => {
    const problems = [
      { path: 'a', message: 'one', file: 'm.yaml', line: 1, column: 1 },
      { path: 'b', message: 'two', file: 'm.yaml', line: 2, column: 5 },
    ];
    const error = configInvalid(problems, 'm.yaml');
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.message).toBe('Invalid configuration in m.yaml (2 problems):\n  m.yaml:1:1  a: one\n  m.yaml:2:5  b: two');
    expect(error.details).toEqual({ problems });
  });
});
