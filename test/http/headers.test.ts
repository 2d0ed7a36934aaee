import { describe, expect, it } from 'vitest';
import { forEachHeader, getHeader, getRawHeader, withHeaders } from '../../src/http/headers.js';

/** The same request headers in each shape undici accepts. */
const shapes = (): [string, unknown][] => [
  ['object', { 'Content-Type': 'text/plain', 'X-Tags': ['a', 'b'], 'x-n': 5 }],
  ['flat array', ['Content-Type', 'text/plain', 'X-Tags', 'a', 'X-Tags', 'b', 'x-n', '5']],
  [
    'array of pairs',
    [
      ['Content-Type', 'text/plain'],
      ['X-Tags', 'a'],
      ['X-Tags', 'b'],
      ['x-n', '5'],
    ],
  ],
  [
    'iterable (Map)',
    new Map<string, string | string[]>([
      ['Content-Type', 'text/plain'],
      ['X-Tags', ['a', 'b']],
      ['x-n', '5'],
    ]),
  ],
  [
    'iterable (Headers)',
    new Headers([
      ['Content-Type', 'text/plain'],
      ['x-n', '5'],
    ]),
  ],
];

describe('forEachHeader', () => {
  it.each(shapes())('visits every header of %s', (_, headers) => {
    const seen: string[] = [];
    forEachHeader(headers, (name, value) => seen.push(`${name.toLowerCase()}=${String(value)}`));
    expect(seen).toContain('content-type=text/plain');
    expect(seen).toContain('x-n=5');
  });

  it('visits repeated values in a flat array one by one', () => {
    const seen: [string, unknown][] = [];
    forEachHeader(['a', '1', 'a', '2'], (name, value) => seen.push([name, value]));
    expect(seen).toEqual([
      ['a', '1'],
      ['a', '2'],
    ]);
  });

  it('visits a generator of pairs', () => {
    function* pairs(): Generator<[string, string]> {
      yield ['x-a', '1'];
      yield ['x-b', '2'];
    }
    const seen: string[] = [];
    forEachHeader(pairs(), (name, value) => seen.push(`${name}=${value}`));
    expect(seen).toEqual(['x-a=1', 'x-b=2']);
  });

  it('visits nothing for null, undefined or an empty array', () => {
    const visit = () => {
      throw new Error('no header expected');
    };
    expect(() => {
      forEachHeader(null, visit);
      forEachHeader(undefined, visit);
      forEachHeader([], visit);
      forEachHeader({}, visit);
    }).not.toThrow();
  });
});

describe('getHeader', () => {
  it.each(shapes())('finds a header case-insensitively in %s', (_, headers) => {
    expect(getHeader(headers, 'content-type')).toBe('text/plain');
    expect(getHeader(headers, 'x-n')).toBe('5');
    expect(getHeader(headers, 'x-missing')).toBeUndefined();
  });

  it.each(shapes().slice(0, 4))('gives the first value of a repeated header in %s', (_, headers) => {
    expect(getHeader(headers, 'x-tags')).toBe('a');
  });

  it('turns numbers and buffers into strings', () => {
    expect(getHeader({ 'content-length': 42 }, 'content-length')).toBe('42');
    expect(getHeader(['x-b', Buffer.from('bytes')], 'x-b')).toBe('bytes');
  });

  it('treats null, undefined and empty arrays as absent', () => {
    expect(getHeader({ 'x-a': undefined, 'x-b': null, 'x-c': [] }, 'x-a')).toBeUndefined();
    expect(getHeader({ 'x-b': null }, 'x-b')).toBeUndefined();
    expect(getHeader({ 'x-c': [] }, 'x-c')).toBeUndefined();
    expect(getHeader(null, 'x-a')).toBeUndefined();
    expect(getHeader(undefined, 'x-a')).toBeUndefined();
  });

  it('does not match a longer or shorter name', () => {
    expect(getHeader({ 'x-ab': '1' }, 'x-a')).toBeUndefined();
    expect(getHeader(['x-a', '1'], 'x-ab')).toBeUndefined();
  });
});

describe('withHeaders', () => {
  it.each(shapes())('adds headers to %s as a flat array', (_, headers) => {
    const out = withHeaders(headers, ['x-added', 'yes']);
    expect(out.length % 2).toBe(0);
    expect(getHeader(out, 'x-added')).toBe('yes');
    expect(getHeader(out, 'content-type')).toBe('text/plain');
  });

  it.each(shapes())('replaces a header of the same name whatever its case in %s', (_, headers) => {
    const out = withHeaders(headers, ['content-type', 'application/json']);
    const values: string[] = [];
    forEachHeader(out, (name, value) => {
      if (name.toLowerCase() === 'content-type') values.push(String(value));
    });
    expect(values).toEqual(['application/json']);
  });

  it('replaces only names equal to an added one, among several added names of different lengths', () => {
    const out = withHeaders({ HOST: 'old', abcd: 'kept', 'X-Inmesh-Timeout-Ms': '9', 'user-agent': 'u' }, [
      'host',
      'payments',
      'x-inmesh-timeout-ms',
      '250',
    ]);
    expect(out).toEqual(['abcd', 'kept', 'user-agent', 'u', 'host', 'payments', 'x-inmesh-timeout-ms', '250']);
  });

  it('replaces every value of a repeated header', () => {
    expect(withHeaders(['X-Tags', 'a', 'x-tags', 'b', 'keep', '1'], ['x-tags', 'c'])).toEqual(['keep', '1', 'x-tags', 'c']);
  });

  it('spreads array values into one entry each and keeps other names as they were written', () => {
    expect(withHeaders({ 'X-Tags': ['a', 'b'], Accept: '*/*' }, [])).toEqual(['X-Tags', 'a', 'X-Tags', 'b', 'Accept', '*/*']);
  });

  it('drops null and undefined values', () => {
    expect(withHeaders({ a: undefined, b: null, c: '1' }, [])).toEqual(['c', '1']);
  });

  it('works without headers', () => {
    expect(withHeaders(undefined, ['x-a', '1'])).toEqual(['x-a', '1']);
    expect(withHeaders(null, [])).toEqual([]);
  });

  it('does not change its input', () => {
    const input = { 'x-a': '1' };
    withHeaders(input, ['x-a', '2']);
    expect(input).toEqual({ 'x-a': '1' });
  });
});

describe('getRawHeader', () => {
  const raw = [Buffer.from('Content-Type'), Buffer.from('text/html'), Buffer.from('Retry-After'), Buffer.from('5')];

  it('finds a response header case-insensitively in a raw Buffer list', () => {
    expect(getRawHeader(raw, 'retry-after')).toBe('5');
    expect(getRawHeader(raw, 'content-type')).toBe('text/html');
  });

  it('works on strings too, and gives the first of repeated values', () => {
    expect(getRawHeader(['x-a', '1', 'X-A', '2'], 'x-a')).toBe('1');
  });

  it('is undefined when missing', () => {
    expect(getRawHeader(raw, 'x-missing')).toBeUndefined();
    expect(getRawHeader(null, 'x-a')).toBeUndefined();
    expect(getRawHeader(undefined, 'x-a')).toBeUndefined();
  });
});
