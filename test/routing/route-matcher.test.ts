import { describe, expect, it } from 'vitest';
import type { RouteMatchSettings } from '../../src/config/compile.js';
import { compileMatch, type RequestView } from '../../src/routing/route-matcher.js';

function request(
  init: { method?: string; path?: string; headers?: Record<string, string>; query?: Record<string, string> } = {},
): RequestView {
  const headers = init.headers ?? {};
  const query = init.query ?? {};
  return { method: init.method ?? 'GET', path: init.path ?? '/', header: (name) => headers[name], query: (name) => query[name] };
}

const matches = (match: RouteMatchSettings, init: Parameters<typeof request>[0]) => compileMatch(match)(request(init));

describe('compileMatch', () => {
  it('matches everything when the block is empty', () => {
    expect(matches({}, { method: 'DELETE', path: '/anything' })).toBe(true);
  });

  describe('path', () => {
    it('exact matches only that path', () => {
      const m = { path: { exact: '/charge' } };
      expect(matches(m, { path: '/charge' })).toBe(true);
      expect(matches(m, { path: '/charge/' })).toBe(false);
      expect(matches(m, { path: '/charges' })).toBe(false);
      expect(matches(m, { path: '/Charge' })).toBe(false);
    });

    it('prefix matches the path and anything below', () => {
      const m = { path: { prefix: '/v1/' } };
      expect(matches(m, { path: '/v1/' })).toBe(true);
      expect(matches(m, { path: '/v1/orders/7' })).toBe(true);
      expect(matches(m, { path: '/v1' })).toBe(false);
      expect(matches(m, { path: '/v2/orders' })).toBe(false);
    });

    it('regex matches as written (unanchored unless anchored)', () => {
      const anchored = { path: { regex: '^/orders/\\d+$' } };
      expect(matches(anchored, { path: '/orders/42' })).toBe(true);
      expect(matches(anchored, { path: '/orders/abc' })).toBe(false);
      expect(matches(anchored, { path: '/x/orders/42' })).toBe(false);
      expect(matches({ path: { regex: 'orders' } }, { path: '/x/orders/42' })).toBe(true);
    });
  });

  describe('methods', () => {
    it('matches any of the listed methods', () => {
      const m = { methods: ['GET', 'POST'] };
      expect(matches(m, { method: 'GET' })).toBe(true);
      expect(matches(m, { method: 'POST' })).toBe(true);
      expect(matches(m, { method: 'PUT' })).toBe(false);
    });
  });

  describe('headers', () => {
    it('exact', () => {
      const m = { headers: { 'x-canary': { exact: 'true' } } };
      expect(matches(m, { headers: { 'x-canary': 'true' } })).toBe(true);
      expect(matches(m, { headers: { 'x-canary': 'TRUE' } })).toBe(false);
      expect(matches(m, {})).toBe(false);
    });

    it('prefix', () => {
      const m = { headers: { 'user-agent': { prefix: 'curl/' } } };
      expect(matches(m, { headers: { 'user-agent': 'curl/8.5' } })).toBe(true);
      expect(matches(m, { headers: { 'user-agent': 'Mozilla' } })).toBe(false);
      expect(matches(m, {})).toBe(false);
    });

    it('regex', () => {
      const m = { headers: { 'x-user': { regex: '^(alice|bob)$' } } };
      expect(matches(m, { headers: { 'x-user': 'bob' } })).toBe(true);
      expect(matches(m, { headers: { 'x-user': 'bobby' } })).toBe(false);
      expect(matches(m, {})).toBe(false);
    });

    it('present: true needs the header, with any value, even empty', () => {
      const m = { headers: { 'x-debug': { present: true } } };
      expect(matches(m, { headers: { 'x-debug': '' } })).toBe(true);
      expect(matches(m, { headers: { 'x-debug': '1' } })).toBe(true);
      expect(matches(m, {})).toBe(false);
    });

    it('present: false needs the header to be absent', () => {
      const m = { headers: { 'x-debug': { present: false } } };
      expect(matches(m, {})).toBe(true);
      expect(matches(m, { headers: { 'x-debug': '1' } })).toBe(false);
    });

    it('needs every listed header to match', () => {
      const m = { headers: { a: { exact: '1' }, b: { exact: '2' } } };
      expect(matches(m, { headers: { a: '1', b: '2' } })).toBe(true);
      expect(matches(m, { headers: { a: '1', b: '3' } })).toBe(false);
      expect(matches(m, { headers: { a: '1' } })).toBe(false);
    });
  });

  describe('query', () => {
    it('matches parameters like headers: exact, prefix, regex and present', () => {
      expect(matches({ query: { v: { exact: '2' } } }, { query: { v: '2' } })).toBe(true);
      expect(matches({ query: { v: { exact: '2' } } }, { query: { v: '20' } })).toBe(false);
      expect(matches({ query: { tag: { prefix: 'beta-' } } }, { query: { tag: 'beta-3' } })).toBe(true);
      expect(matches({ query: { id: { regex: '^\\d+$' } } }, { query: { id: 'x1' } })).toBe(false);
      expect(matches({ query: { debug: { present: true } } }, { query: { debug: '' } })).toBe(true);
      expect(matches({ query: { debug: { present: true } } }, {})).toBe(false);
      expect(matches({ query: { debug: { present: false } } }, {})).toBe(true);
    });

    it('does not look at headers of the same name', () => {
      expect(matches({ query: { v: { exact: '2' } } }, { headers: { v: '2' } })).toBe(false);
    });
  });

  it('needs every condition of the block to hold', () => {
    const m: RouteMatchSettings = {
      path: { prefix: '/api/' },
      methods: ['POST'],
      headers: { 'x-canary': { exact: 'true' } },
      query: { v: { exact: '2' } },
    };
    const all = { method: 'POST', path: '/api/x', headers: { 'x-canary': 'true' }, query: { v: '2' } };
    expect(matches(m, all)).toBe(true);
    expect(matches(m, { ...all, method: 'GET' })).toBe(false);
    expect(matches(m, { ...all, path: '/web/x' })).toBe(false);
    expect(matches(m, { ...all, headers: {} })).toBe(false);
    expect(matches(m, { ...all, query: { v: '1' } })).toBe(false);
  });
});
