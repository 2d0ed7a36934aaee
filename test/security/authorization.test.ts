import { describe, expect, it } from 'vitest';
import { type AuthorizationRequest, type AuthorizationRule, Authorizer } from '../../src/security/authorization.js';

const GATEWAY = 'spiffe://example.org/sa/gateway';
const PROD_API = 'spiffe://example.org/ns/prod/sa/api';

interface RequestInit {
  peer?: string | undefined;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
}

/** A request; headers are looked up by lower-case name, as Node gives them. */
function request({ peer, method = 'GET', path = '/', headers = {} }: RequestInit = {}): AuthorizationRequest {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { peer, method, path, header: (name) => lower[name] };
}

const allow = (name: string, rule: Omit<AuthorizationRule, 'name' | 'action'> = {}): AuthorizationRule => ({
  name,
  action: 'allow',
  ...rule,
});
const deny = (name: string, rule: Omit<AuthorizationRule, 'name' | 'action'> = {}): AuthorizationRule => ({
  name,
  action: 'deny',
  ...rule,
});

/** Whether `rules` let `init` through. */
const allowed = (rules: AuthorizationRule[], init: RequestInit = {}) => new Authorizer(rules).decide(request(init)).allowed;

describe('Authorizer: actions', () => {
  it('allows everything when there is no policy, and says it is permissive', () => {
    const authorizer = new Authorizer([]);
    expect(authorizer.permissive).toBe(true);
    expect(authorizer.decide(request({ path: '/admin', method: 'DELETE' }))).toEqual({
      allowed: true,
      policy: undefined,
      dryRunDenials: [],
      reason: 'no ALLOW policy',
    });
    expect(authorizer.decide(request({ peer: undefined })).allowed).toBe(true);
  });

  it('denies by default once an ALLOW policy exists', () => {
    const authorizer = new Authorizer([allow('gateway-only', { from: [GATEWAY] })]);
    expect(authorizer.permissive).toBe(false);
    expect(authorizer.decide(request({ peer: PROD_API }))).toEqual({
      allowed: false,
      policy: undefined,
      dryRunDenials: [],
      reason: 'no ALLOW policy matches',
    });
  });

  it('allows what an ALLOW policy matches, naming it', () => {
    const decision = new Authorizer([allow('gateway-only', { from: [GATEWAY] })]).decide(request({ peer: GATEWAY }));
    expect(decision).toEqual({ allowed: true, policy: 'gateway-only', dryRunDenials: [], reason: 'allowed by policy gateway-only' });
  });

  it('allows when any one of several ALLOW policies matches', () => {
    const rules = [allow('a', { paths: ['/a'] }), allow('b', { paths: ['/b'] })];
    expect(new Authorizer(rules).decide(request({ path: '/b' })).policy).toBe('b');
    expect(allowed(rules, { path: '/c' })).toBe(false);
  });

  it('with only DENY policies, allows what none of them matches', () => {
    const rules = [deny('no-admin', { paths: ['/admin/*'] })];
    expect(new Authorizer(rules).decide(request({ path: '/orders' }))).toMatchObject({ allowed: true, policy: undefined });
    expect(allowed(rules, { path: '/admin/users' })).toBe(false);
  });

  it('lets DENY win over a matching ALLOW, whatever their order', () => {
    const a = allow('everyone');
    const d = deny('no-admin', { paths: ['/admin'] });
    for (const rules of [
      [a, d],
      [d, a],
    ]) {
      const decision = new Authorizer(rules).decide(request({ peer: GATEWAY, path: '/admin' }));
      expect(decision).toEqual({ allowed: false, policy: 'no-admin', dryRunDenials: [], reason: 'denied by policy no-admin' });
      expect(allowed(rules, { peer: GATEWAY, path: '/orders' })).toBe(true);
    }
  });

  it('treats a rule without conditions as matching every request', () => {
    expect(allowed([allow('all')], { peer: undefined, method: 'PATCH', path: '/x' })).toBe(true);
    expect(allowed([deny('none')], { peer: GATEWAY })).toBe(false);
  });

  it('requires every condition of a rule to match (AND), and any value of one condition (OR)', () => {
    const rules = [allow('charge', { from: [GATEWAY, PROD_API], methods: ['POST'], paths: ['/charge', '/refund'] })];
    expect(allowed(rules, { peer: GATEWAY, method: 'POST', path: '/charge' })).toBe(true);
    expect(allowed(rules, { peer: PROD_API, method: 'POST', path: '/refund' })).toBe(true);
    expect(allowed(rules, { peer: GATEWAY, method: 'GET', path: '/charge' })).toBe(false);
    expect(allowed(rules, { peer: GATEWAY, method: 'POST', path: '/other' })).toBe(false);
    expect(allowed(rules, { peer: 'spiffe://example.org/sa/other', method: 'POST', path: '/charge' })).toBe(false);
  });
});

describe('Authorizer: from (peer identities)', () => {
  it('matches an exact identity, and nothing longer or shorter', () => {
    const rules = [allow('gw', { from: [GATEWAY] })];
    expect(allowed(rules, { peer: GATEWAY })).toBe(true);
    expect(allowed(rules, { peer: `${GATEWAY}-2` })).toBe(false);
    expect(allowed(rules, { peer: `${GATEWAY}/x` })).toBe(false);
    expect(allowed(rules, { peer: 'spiffe://example.org/sa' })).toBe(false);
  });

  it('matches a prefix written with a trailing *', () => {
    const rules = [allow('prod', { from: ['spiffe://example.org/ns/prod/*'] })];
    expect(allowed(rules, { peer: PROD_API })).toBe(true);
    expect(allowed(rules, { peer: 'spiffe://example.org/ns/prod/sa/web' })).toBe(true);
    expect(allowed(rules, { peer: 'spiffe://example.org/ns/staging/sa/api' })).toBe(false);
    // The prefix ends at the slash: a sibling namespace whose name starts the same is not inside.
    expect(allowed(rules, { peer: 'spiffe://example.org/ns/production/sa/api' })).toBe(false);
    expect(allowed(rules, { peer: 'spiffe://other.org/ns/prod/sa/api' })).toBe(false);
  });

  it('takes "*" as any authenticated peer', () => {
    const rules = [allow('authenticated', { from: ['*'] })];
    expect(allowed(rules, { peer: GATEWAY })).toBe(true);
    expect(allowed(rules, { peer: 'spiffe://other.org/anything' })).toBe(true);
    expect(allowed(rules, { peer: undefined })).toBe(false);
  });

  it('matches no `from` at all for a peer without identity (plaintext)', () => {
    for (const from of [['*'], ['spiffe://example.org/*'], [GATEWAY], ['*', GATEWAY]]) {
      expect(allowed([allow('x', { from })], { peer: undefined })).toBe(false);
      // ...and so a DENY on `from` does not catch it either (deny-unauthenticated needs an ALLOW).
      expect(allowed([deny('x', { from })], { peer: undefined })).toBe(true);
    }
  });

  it('denies an authenticated peer by a DENY with "*", and lets the unauthenticated one through', () => {
    const rules = [deny('no-mesh-peers', { from: ['*'] })];
    expect(allowed(rules, { peer: GATEWAY })).toBe(false);
    expect(allowed(rules, { peer: undefined })).toBe(true);
  });
});

describe('Authorizer: methods', () => {
  it('matches any of the listed methods', () => {
    const rules = [allow('read', { methods: ['GET', 'HEAD'] })];
    expect(allowed(rules, { method: 'GET' })).toBe(true);
    expect(allowed(rules, { method: 'HEAD' })).toBe(true);
    expect(allowed(rules, { method: 'POST' })).toBe(false);
    expect(allowed(rules, { method: 'OPTIONS' })).toBe(false);
  });

  it('accepts methods written in lower case in the policy', () => {
    expect(allowed([allow('post', { methods: ['post'] })], { method: 'POST' })).toBe(true);
  });
});

describe('Authorizer: paths', () => {
  it('matches an exact path, and nothing below or beside it', () => {
    const rules = [allow('charge', { paths: ['/charge'] })];
    expect(allowed(rules, { path: '/charge' })).toBe(true);
    expect(allowed(rules, { path: '/charge/' })).toBe(false);
    expect(allowed(rules, { path: '/charge/1' })).toBe(false);
    expect(allowed(rules, { path: '/charges' })).toBe(false);
    expect(allowed(rules, { path: '/CHARGE' })).toBe(false);
  });

  it('matches a prefix written with a trailing *', () => {
    const rules = [deny('admin', { paths: ['/admin/*'] })];
    expect(allowed(rules, { path: '/admin/' })).toBe(false);
    expect(allowed(rules, { path: '/admin/users/1' })).toBe(false);
    expect(allowed(rules, { path: '/administrator' })).toBe(true);
    expect(allowed(rules, { path: '/api/admin/x' })).toBe(true);
  });

  it('matches any path with "*"', () => {
    const rules = [allow('all-paths', { paths: ['*'] })];
    for (const path of ['/', '/a', '/a/b/c']) expect(allowed(rules, { path })).toBe(true);
  });
});

describe('Authorizer: headers', () => {
  it('matches an exact header value', () => {
    const rules = [allow('tenant', { headers: { 'x-tenant': 'acme' } })];
    expect(allowed(rules, { headers: { 'x-tenant': 'acme' } })).toBe(true);
    expect(allowed(rules, { headers: { 'x-tenant': 'acme2' } })).toBe(false);
    expect(allowed(rules, { headers: { 'x-tenant': 'ACME' } })).toBe(false);
    expect(allowed(rules, {})).toBe(false);
  });

  it('matches a present header with "*", whatever its value (even empty)', () => {
    const rules = [allow('traced', { headers: { traceparent: '*' } })];
    expect(allowed(rules, { headers: { traceparent: '00-abc-def-01' } })).toBe(true);
    expect(allowed(rules, { headers: { traceparent: '' } })).toBe(true);
    expect(allowed(rules, {})).toBe(false);
  });

  it('looks up header names in lower case whatever the policy wrote', () => {
    const rules = [allow('tenant', { headers: { 'X-Tenant': 'acme' } })];
    expect(allowed(rules, { headers: { 'x-tenant': 'acme' } })).toBe(true);
  });

  it('requires every listed header', () => {
    const rules = [allow('both', { headers: { 'x-a': '1', 'x-b': '*' } })];
    expect(allowed(rules, { headers: { 'x-a': '1', 'x-b': 'y' } })).toBe(true);
    expect(allowed(rules, { headers: { 'x-a': '1' } })).toBe(false);
    expect(allowed(rules, { headers: { 'x-b': 'y' } })).toBe(false);
  });
});

describe('Authorizer: dry run', () => {
  it('never lets a dry-run DENY decide, but reports it when it matches', () => {
    const authorizer = new Authorizer([deny('would-block-admin', { paths: ['/admin'], dryRun: true })]);
    expect(authorizer.permissive).toBe(false); // it must still be evaluated, to be reported
    expect(authorizer.decide(request({ path: '/admin' }))).toEqual({
      allowed: true,
      policy: undefined,
      dryRunDenials: ['would-block-admin'],
      reason: 'no ALLOW policy',
    });
    expect(authorizer.decide(request({ path: '/orders' })).dryRunDenials).toEqual([]);
  });

  it('does not turn on default deny with a dry-run ALLOW, but reports what it would deny', () => {
    const authorizer = new Authorizer([allow('gateway-only', { from: [GATEWAY], dryRun: true })]);
    expect(authorizer.decide(request({ peer: PROD_API }))).toMatchObject({ allowed: true, dryRunDenials: ['gateway-only'] });
    expect(authorizer.decide(request({ peer: GATEWAY }))).toMatchObject({ allowed: true, dryRunDenials: [] });
  });

  it('reports all dry-run ALLOW policies when none of them matches, none when one does', () => {
    const authorizer = new Authorizer([allow('a', { paths: ['/a'], dryRun: true }), allow('b', { paths: ['/b'], dryRun: true })]);
    expect(authorizer.decide(request({ path: '/c' })).dryRunDenials).toEqual(['a', 'b']);
    expect(authorizer.decide(request({ path: '/b' })).dryRunDenials).toEqual([]);
  });

  it('reports dry-run denials alongside the enforced decision, which they do not change', () => {
    const authorizer = new Authorizer([
      allow('enforced', { from: [GATEWAY] }),
      deny('shadow-deny', { methods: ['DELETE'], dryRun: true }),
      allow('shadow-allow', { paths: ['/v2/*'], dryRun: true }),
    ]);
    expect(authorizer.decide(request({ peer: GATEWAY, method: 'DELETE', path: '/v1/x' }))).toEqual({
      allowed: true,
      policy: 'enforced',
      dryRunDenials: ['shadow-deny', 'shadow-allow'],
      reason: 'allowed by policy enforced',
    });
    expect(authorizer.decide(request({ peer: PROD_API, method: 'GET', path: '/v2/x' }))).toEqual({
      allowed: false,
      policy: undefined,
      dryRunDenials: [],
      reason: 'no ALLOW policy matches',
    });
  });

  it('reports dry-run denials on a request an enforced DENY refuses', () => {
    const authorizer = new Authorizer([deny('enforced', { paths: ['/admin'] }), deny('shadow', { paths: ['/admin'], dryRun: true })]);
    expect(authorizer.decide(request({ path: '/admin' }))).toEqual({
      allowed: false,
      policy: 'enforced',
      dryRunDenials: ['shadow'],
      reason: 'denied by policy enforced',
    });
  });
});
