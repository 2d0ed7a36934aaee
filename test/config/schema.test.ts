import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults.js';
import { duration, type MeshConfigInput, type ParsedConfig, retriesSchema, routeSchema, size, strict } from '../../src/config/schema.js';

const issues = (schema: v.GenericSchema, value: unknown) => {
  const result = v.safeParse(schema, value);
  return result.success ? [] : result.issues.map((issue) => issue.message);
};

describe('duration', () => {
  const schema = duration('A timeout.', '2s');

  it('parses to milliseconds', () => {
    expect(v.parse(schema, '250ms')).toBe(250);
    expect(v.parse(schema, '1.5m')).toBe(90_000);
    expect(v.parse(schema, '1h')).toBe(3_600_000);
  });

  it('says what it expects and what it got', () => {
    expect(issues(schema, '2 s')).toEqual(['expected a duration such as 250ms, 2s, 1m or 1h, got "2 s"']);
    expect(issues(schema, 2000)).toEqual(['expected a duration string such as 250ms or 2s, got 2000']);
  });

  it('keeps its description and default where the JSON Schema generator reads them: before the transform', () => {
    expect(v.getDescription(schema)).toBe('A timeout.');
    expect(v.getMetadata(schema)).toEqual({ default: '2s' });
    const pipe = schema.pipe.map((item) => item.type);
    expect(pipe.indexOf('transform')).toBe(pipe.length - 1);
    expect(v.getMetadata(duration('No default.'))).toEqual({});
  });
});

describe('size', () => {
  const schema = size('A body limit.', '64KiB');

  it('parses units to bytes and takes plain numbers as bytes', () => {
    expect(v.parse(schema, '64KiB')).toBe(65_536);
    expect(v.parse(schema, '2MB')).toBe(2_000_000);
    expect(v.parse(schema, 512)).toBe(512);
  });

  it('says what it expects and what it got', () => {
    expect(issues(schema, '64 KiB')).toEqual(['expected a size such as 64KiB, 1MiB or a number of bytes, got "64 KiB"']);
    expect(issues(schema, -1)).toEqual(['expected a size of 0 or more bytes, got -1']);
    expect(issues(schema, 1.5)).toEqual(['expected a whole number of bytes, got 1.5']);
  });

  it('documents its default', () => {
    expect(v.getMetadata(schema)).toEqual({ default: '64KiB' });
  });
});

describe('strict', () => {
  const schema = strict({ a: v.string(), b: v.optional(v.number()) });

  it('names unknown keys, missing keys and non-objects', () => {
    expect(issues(schema, { a: 'x', c: 1 })).toEqual(['unknown key "c"; expected one of: a, b']);
    expect(issues(schema, {})).toEqual(['missing key "a"']);
    expect(issues(schema, 'x')).toEqual(['expected an object with keys a, b, got "x"']);
  });
});

describe('policy defaults', () => {
  it('are metadata for the docs, not valibot defaults: compile.ts applies them, so `defaults:` can change them', () => {
    expect(v.parse(retriesSchema, {})).toEqual({});
    expect(v.parse(routeSchema, {})).toEqual({});
    const attempts = retriesSchema.pipe[0].entries.attempts;
    expect(attempts.default).toBeUndefined();
    expect(v.getMetadata(attempts.wrapped)).toEqual({ default: DEFAULTS.retries.attempts });
  });
});

describe('types', () => {
  it('a config is written with duration strings and parsed to milliseconds', () => {
    type InputService = NonNullable<MeshConfigInput['services']>[string];
    type ParsedService = NonNullable<ParsedConfig['services']>[string];
    expectTypeOf<InputService['timeout']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ParsedService['timeout']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<NonNullable<MeshConfigInput['outbound']>['replayBodyLimit']>().toEqualTypeOf<string | number | undefined>();
  });

  it('one-key match objects are typed as the union they accept', () => {
    type Path = NonNullable<NonNullable<MeshConfigInput['services']>[string]['routes']>[number];
    type PathMatch = NonNullable<NonNullable<Path['match']>['path']>;
    expectTypeOf<PathMatch>().toEqualTypeOf<string | { exact: string } | { prefix: string } | { regex: string }>();
  });
});
