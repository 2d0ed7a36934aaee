import { describe, expect, it } from 'vitest';
import { normalizePath } from '../../src/http/path-normalize.js';
import { seededRandom } from '../helpers/manual-clock.js';

/** The normalised path (fails the test when the path is refused). */
function normalized(raw: string): string {
  const result = normalizePath(raw);
  if (!result.ok) throw new Error(`${JSON.stringify(raw)} was refused: ${result.reason}`);
  return result.path;
}

/** The reason a path is refused (fails the test when it is accepted). */
function refusal(raw: string): string {
  const result = normalizePath(raw);
  if (result.ok) throw new Error(`${JSON.stringify(raw)} was accepted as ${result.path}`);
  return result.reason;
}

describe('normalizePath: accepted paths', () => {
  it.each([
    ['/', '/'],
    ['/orders', '/orders'],
    ['/orders/42', '/orders/42'],
    ['/a-b_c.d~e', '/a-b_c.d~e'],
  ])('leaves a normal path as it is: %s', (raw, path) => {
    expect(normalized(raw)).toBe(path);
  });

  it.each([
    ['/%61dmin', '/admin'],
    ['/%41DMIN', '/ADMIN'],
    ['/%7E', '/~'],
    ['/%7e', '/~'],
    ['/a%2Db%5Fc', '/a-b_c'],
    ['/%30%39', '/09'],
    ['/%2e%2e%2e', '/...'], // three dots are a name, not a dot segment
    ['/x/..%2E', '/x/...'],
    ['/a%2eb', '/a.b'],
  ])('decodes percent-encoded unreserved characters: %s -> %s', (raw, path) => {
    expect(normalized(raw)).toBe(path);
  });

  it.each([
    ['/a%20b', '/a%20b'],
    ['/a%2ab', '/a%2Ab'],
    ['/%3a%3B%3d', '/%3A%3B%3D'],
    ['/%25', '/%25'],
    ['/%2561dmin', '/%2561dmin'], // an encoded "%" is not decoded twice
    ['/%c3%a4', '/%C3%A4'], // non-ASCII bytes stay encoded
    ['/%7f', '/%7F'],
  ])('keeps other percent-encodings, upper-cased (RFC 3986 §6.2.2.1): %s -> %s', (raw, path) => {
    expect(normalized(raw)).toBe(path);
  });

  it.each([
    ['//admin', '/admin'],
    ['/a//b', '/a/b'],
    ['/a///b////c', '/a/b/c'],
    ['//', '/'],
    ['///', '/'],
  ])('merges duplicate slashes: %s -> %s', (raw, path) => {
    expect(normalized(raw)).toBe(path);
  });

  it.each([
    ['/x/../admin', '/admin'],
    ['/a/./b', '/a/b'],
    ['/..', '/'],
    ['/.', '/'],
    ['/../admin', '/admin'],
    ['/../../admin', '/admin'],
    ['/a/b/../../c', '/c'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/a/.b/..c', '/a/.b/..c'], // names that begin with dots are not dot segments
    ['/a/%61/../b', '/a/b'],
  ])('resolves dot segments (RFC 3986 §5.2.4): %s -> %s', (raw, path) => {
    expect(normalized(raw)).toBe(path);
  });

  it.each([
    ['/a/', '/a/'],
    ['/a/b/', '/a/b/'],
    ['/a//', '/a/'],
  ])('keeps a trailing slash: %s -> %s', (raw, path) => {
    expect(normalized(raw)).toBe(path);
  });

  it('makes every spelling of /admin the same path', () => {
    for (const raw of [
      '/admin',
      '//admin',
      '/%61dmin',
      '/%61%64%6D%69%6E',
      '/x/../admin',
      '/./admin',
      '/x/y/../../admin',
      '//x/..//admin',
    ]) {
      expect(normalized(raw), raw).toBe('/admin');
    }
  });
});

describe('normalizePath: refused paths', () => {
  it.each([
    ['/a%2Fb', /encoded slash/],
    ['/a%2fb', /encoded slash/],
    ['/admin%2F', /encoded slash/],
    ['/a%5Cb', /encoded slash or backslash/],
    ['/a%5cb', /encoded slash or backslash/],
    ['/a\\b', /backslash/],
    ['/\\admin', /backslash/],
    ['/a\0b', /NUL/],
    ['/a%00b', /encoded NUL/],
    ['/%2e%2e/admin', /encoded dot segment/],
    ['/x/%2E%2E/admin', /encoded dot segment/],
    ['/%2E/', /encoded dot segment/],
    ['/%2e', /encoded dot segment/],
    ['/x/.%2e/admin', /encoded dot segment/],
    ['/x/%2e./admin', /encoded dot segment/],
    ['/x/%2e%2E', /encoded dot segment/],
    ['/%zz', /malformed percent-encoding/],
    ['/%4', /malformed percent-encoding/],
    ['/%', /malformed percent-encoding/],
    ['/a%g0', /malformed percent-encoding/],
    ['/%%41', /malformed percent-encoding/],
    ['', /must start with \//],
    ['admin', /must start with \//],
    ['*', /must start with \//],
    ['http://host/admin', /must start with \//],
  ])('refuses %j (%s)', (raw, reason) => {
    expect(refusal(raw)).toMatch(reason);
  });
});

describe('normalizePath: idempotence', () => {
  const SEGMENTS = ['a', 'b', 'admin', '', '.', '..', '...', '.a', '%61', '%41', '%7e', '%20', '%2a', '%25', '%c3%a4', 'x~y', 'a-b_c'];

  function randomPath(random: () => number): string {
    const count = Math.floor(random() * 8);
    let path = '';
    for (let i = 0; i < count; i++) path += `/${SEGMENTS[Math.floor(random() * SEGMENTS.length)]}`;
    return path || '/';
  }

  it('normalising twice gives what normalising once gives (2,000 random paths)', () => {
    const random = seededRandom(20_240_601);
    for (let i = 0; i < 2_000; i++) {
      const raw = randomPath(random);
      const once = normalized(raw);
      expect(normalized(once), raw).toBe(once);
      // And the result is in normal form: no empty, "." or ".." segment except the trailing one.
      const inner = once.slice(1).split('/').slice(0, -1);
      expect(
        inner.every((s) => s !== '' && s !== '.' && s !== '..'),
        `${raw} -> ${once}`,
      ).toBe(true);
      expect(once.startsWith('/')).toBe(true);
    }
  });
});
