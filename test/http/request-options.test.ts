// RequestOptions.from: the caller's dispatch options copied into one shape, whatever object
// they came in (plain, null-prototype, class instance with getters), nothing of undici's core
// options lost and nothing else carried.
import { describe, expect, it } from 'vitest';
import type { DispatchOptions } from '../../src/http/handler.js';
import { RequestOptions } from '../../src/http/request-options.js';

const ALL = {
  origin: 'http://payments',
  path: '/charge?x=1',
  method: 'POST',
  body: '{}',
  headers: { 'content-type': 'application/json' },
  query: { a: '1' },
  idempotent: true,
  blocking: false,
  upgrade: 'websocket',
  headersTimeout: 1000,
  bodyTimeout: 2000,
  reset: true,
  expectContinue: false,
  servername: 'payments.example',
  throwOnError: false,
};

function fields(o: RequestOptions): Record<string, unknown> {
  return { ...o };
}

describe('RequestOptions.from', () => {
  it('copies every option undici core reads from a plain object, and drops the rest', () => {
    const out = RequestOptions.from({ ...ALL, dispatcher: {}, signal: null, opaque: 1 } as unknown as DispatchOptions);
    expect(fields(out)).toEqual(ALL);
    expect(out).not.toHaveProperty('dispatcher');
    expect(out).not.toHaveProperty('opaque');
  });

  it('reads a null-prototype object the same way', () => {
    const opts = Object.assign(Object.create(null), { origin: 'http://a', path: '/', method: 'GET' });
    const out = RequestOptions.from(opts);
    expect([out.origin, out.path, out.method, out.body]).toEqual(['http://a', '/', 'GET', undefined]);
  });

  it('reads options served by getters on a prototype (not enumerable own keys)', () => {
    class Options {
      get path() {
        return '/via-getter';
      }
      get method() {
        return 'PUT';
      }
      get headers() {
        return ['x-a', '1'];
      }
    }
    const out = RequestOptions.from(new Options() as unknown as DispatchOptions);
    expect([out.path, out.method, out.headers]).toEqual(['/via-getter', 'PUT', ['x-a', '1']]);
  });

  it('gives every copy one shape, however the callers built theirs', () => {
    const a = RequestOptions.from({ path: '/', method: 'GET' } as DispatchOptions);
    const b = RequestOptions.from({ ...ALL } as DispatchOptions);
    expect(Object.keys(a)).toEqual(Object.keys(b));
  });

  it('returns RequestOptions as they are (a mirrored call shares its original)', () => {
    const once = RequestOptions.from({ path: '/', method: 'GET' } as DispatchOptions);
    expect(RequestOptions.from(once)).toBe(once);
  });
});
