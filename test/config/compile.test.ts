import { describe, expect, it } from 'vitest';
import { createRegistries } from '../../src/builtins.js';
import { type ConfigSnapshot, compileConfig } from '../../src/config/compile.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import type { MeshConfigInput } from '../../src/config/schema.js';
import { parseDuration as ms, parseSize } from '../../src/config/units.js';
import { validateConfig } from '../../src/config/validate.js';

/** Validates and compiles a config written as a user would. */
function compile(config: MeshConfigInput): ConfigSnapshot {
  const result = validateConfig(config, createRegistries());
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return compileConfig(result.config, 'mesh.yaml');
}

const service = (snapshot: ConfigSnapshot, name: string) => {
  const settings = snapshot.services.get(name);
  if (!settings) throw new Error(`no service ${name}`);
  return settings;
};

describe('built-in defaults (DEFAULTS) when nothing is set', () => {
  const snapshot = compile({ services: { a: {} } });
  const a = service(snapshot, 'a');

  it('for every policy', () => {
    expect(a.protocol).toBe('http');
    expect(a.loadBalancer).toEqual({
      policy: DEFAULTS.loadBalancer.policy,
      panicThreshold: DEFAULTS.loadBalancer.panicThreshold,
      options: {},
    });
    expect(a.budget).toEqual({
      ratio: DEFAULTS.budget.ratio,
      minRetriesPerSecond: DEFAULTS.budget.minRetriesPerSecond,
      ttlMs: ms(DEFAULTS.budget.ttl),
    });
    expect(a.circuitBreaker).toEqual({
      errorThresholdPercentage: DEFAULTS.circuitBreaker.errorThresholdPercentage,
      volumeThreshold: DEFAULTS.circuitBreaker.volumeThreshold,
      windowMs: ms(DEFAULTS.circuitBreaker.window),
      resetTimeoutMs: ms(DEFAULTS.circuitBreaker.resetTimeout),
    });
    expect(a.outlierDetection).toEqual({
      consecutive5xxErrors: DEFAULTS.outlierDetection.consecutive5xxErrors,
      consecutiveGatewayErrors: DEFAULTS.outlierDetection.consecutiveGatewayErrors,
      intervalMs: ms(DEFAULTS.outlierDetection.interval),
      baseEjectionTimeMs: ms(DEFAULTS.outlierDetection.baseEjectionTime),
      maxEjectionTimeMs: ms(DEFAULTS.outlierDetection.maxEjectionTime),
      maxEjectionPercent: DEFAULTS.outlierDetection.maxEjectionPercent,
    });
    expect(a.healthCheck).toBeUndefined();
    expect(a.connections).toEqual({
      maxPerEndpoint: DEFAULTS.connections.maxPerEndpoint,
      connectTimeoutMs: ms(DEFAULTS.connections.connectTimeout),
      keepAliveTimeoutMs: ms(DEFAULTS.connections.keepAliveTimeout),
    });
  });

  it('for retries and the timeout, on the catch-all route', () => {
    expect(a.routes).toHaveLength(1);
    expect(a.routes[0]).toEqual({
      name: 'default',
      match: {},
      to: [{ subset: undefined, weight: 1 }],
      timeoutMs: undefined,
      retries: {
        attempts: DEFAULTS.retries.attempts,
        perTryTimeoutMs: undefined,
        on: DEFAULTS.retries.on,
        backoffBaseMs: ms(DEFAULTS.retries.backoffBase),
        backoffMaxMs: ms(DEFAULTS.retries.backoffMax),
        maxRetryAfterMs: ms(DEFAULTS.retries.maxRetryAfter),
      },
    });
  });

  it('for outbound', () => {
    expect(snapshot.outbound).toEqual({
      passthrough: DEFAULTS.outbound.passthrough,
      replayBodyLimit: parseSize(DEFAULTS.outbound.replayBodyLimit),
    });
    expect(snapshot.source).toBe('mesh.yaml');
  });
});

describe('each setting resolves as route ?? service ?? defaults: ?? DEFAULTS', () => {
  const snapshot = compile({
    defaults: {
      timeout: '10s',
      loadBalancer: { policy: 'round-robin', panicThreshold: 0 },
      retries: { attempts: 4, perTryTimeout: '1s', backoff: { base: '50ms' }, budget: { ratio: 0.5, ttl: '20s' } },
      circuitBreaker: { volumeThreshold: 50 },
      outlierDetection: false,
      healthCheck: { path: '/healthz', interval: '3s' },
      connections: { maxPerEndpoint: 8, connectTimeout: '1s' },
    },
    services: {
      a: {
        timeout: '2s',
        retries: { attempts: 3, on: ['reset'], budget: { minRetriesPerSecond: 1 } },
        circuitBreaker: false,
        connections: { connectTimeout: '250ms' },
        routes: [
          { name: 'slow', match: { path: '/report' }, timeout: '30s', retries: { attempts: 1, backoff: { max: '1s' } } },
          { match: { path: '/fast/*' } },
        ],
      },
      b: { loadBalancer: 'least-request', outlierDetection: { consecutive5xxErrors: 2 } },
    },
  });
  const a = service(snapshot, 'a');
  const b = service(snapshot, 'b');
  const route = (name: string) => a.routes.find((r) => r.name === name);

  it('the route wins over the service, key by key for retries', () => {
    expect(route('slow')?.timeoutMs).toBe(30_000);
    expect(route('slow')?.retries).toEqual({
      attempts: 1, //                  route
      perTryTimeoutMs: 1_000, //       defaults:
      on: ['reset'], //                service
      backoffBaseMs: 50, //            defaults:
      backoffMaxMs: 1_000, //          route
      maxRetryAfterMs: ms(DEFAULTS.retries.maxRetryAfter),
    });
  });

  it('a route without its own settings takes the service ones', () => {
    expect(route('route-1')?.timeoutMs).toBe(2_000);
    expect(route('route-1')?.retries).toEqual(route('default')?.retries);
    expect(route('default')?.retries.attempts).toBe(3);
  });

  it('the service wins over defaults:, and false turns a policy off', () => {
    expect(a.circuitBreaker).toBe(false);
    expect(b.circuitBreaker).toMatchObject({
      volumeThreshold: 50,
      errorThresholdPercentage: DEFAULTS.circuitBreaker.errorThresholdPercentage,
    });
    expect(b.outlierDetection).toMatchObject({
      consecutive5xxErrors: 2,
      consecutiveGatewayErrors: DEFAULTS.outlierDetection.consecutiveGatewayErrors,
    });
    expect(a.outlierDetection).toBe(false);
  });

  it('defaults: wins over DEFAULTS', () => {
    expect(b.routes[0]?.timeoutMs).toBe(10_000);
    expect(b.routes[0]?.retries.attempts).toBe(4);
    expect(a.loadBalancer).toEqual({ policy: 'round-robin', panicThreshold: 0, options: {} });
    expect(b.loadBalancer).toEqual({ policy: 'least-request', panicThreshold: DEFAULTS.loadBalancer.panicThreshold, options: {} });
    expect(a.healthCheck).toEqual({
      path: '/healthz',
      intervalMs: 3_000,
      timeoutMs: ms(DEFAULTS.healthCheck.timeout),
      healthyThreshold: DEFAULTS.healthCheck.healthyThreshold,
      unhealthyThreshold: DEFAULTS.healthCheck.unhealthyThreshold,
    });
  });

  it('the retry budget is per service, and inherited key by key', () => {
    expect(a.budget).toEqual({ ratio: 0.5, minRetriesPerSecond: 1, ttlMs: 20_000 });
    expect(b.budget).toEqual({ ratio: 0.5, minRetriesPerSecond: DEFAULTS.budget.minRetriesPerSecond, ttlMs: 20_000 });
  });

  it('policy blocks are inherited key by key: a service setting one key keeps the others from defaults:', () => {
    const snapshot = compile({
      defaults: {
        circuitBreaker: { volumeThreshold: 50, window: '1m' },
        outlierDetection: { interval: '1s', maxEjectionPercent: 30 },
        healthCheck: { path: '/healthz', interval: '3s' },
      },
      services: {
        c: {
          circuitBreaker: { volumeThreshold: 7 },
          outlierDetection: { maxEjectionPercent: 0 },
          healthCheck: { path: '/ready' },
        },
      },
    });
    const c = service(snapshot, 'c');
    expect(c.circuitBreaker).toMatchObject({ volumeThreshold: 7, windowMs: 60_000 });
    // 0 is a value, not "unset".
    expect(c.outlierDetection).toMatchObject({ intervalMs: 1_000, maxEjectionPercent: 0 });
    expect(c.healthCheck).toMatchObject({ path: '/ready', intervalMs: 3_000 });
  });

  it('connections merge key by key', () => {
    expect(a.connections).toEqual({
      maxPerEndpoint: 8,
      connectTimeoutMs: 250,
      keepAliveTimeoutMs: ms(DEFAULTS.connections.keepAliveTimeout),
    });
    expect(b.connections).toEqual({
      maxPerEndpoint: 8,
      connectTimeoutMs: 1_000,
      keepAliveTimeoutMs: ms(DEFAULTS.connections.keepAliveTimeout),
    });
  });

  it('a service known only from discovery gets defaults:', () => {
    const c = snapshot.defaultsFor('c');
    expect(c.name).toBe('c');
    expect(c.routes).toHaveLength(1);
    expect(c.routes[0]?.timeoutMs).toBe(10_000);
    expect(c.loadBalancer.policy).toBe('round-robin');
    expect(c.outlierDetection).toBe(false);
    // Computed once per name.
    expect(snapshot.defaultsFor('c')).toBe(c);
  });
});

describe('routes', () => {
  const a = service(
    compile({
      services: {
        a: {
          subsets: { v1: { version: 'v1' }, v2: { version: 'v2' } },
          routes: [
            {
              match: { path: '/orders/*', methods: ['get', 'POST'], headers: { 'X-Canary': 'true', 'X-User': { prefix: 'test-' } } },
              to: [{ subset: 'v2' }],
            },
            { match: { path: '/health', query: { Debug: { present: true } } }, mirror: { subset: 'v1' } },
            {
              match: { path: { regex: '^/v[0-9]+/' } },
              to: [
                { subset: 'v1', weight: 90 },
                { subset: 'v2', weight: 10 },
              ],
              fault: { abort: { httpStatus: 503 } },
            },
            { mirror: { service: 'shadow', percent: 5 }, fault: { delay: { fixedDelay: '100ms', percent: 10 } } },
          ],
        },
      },
    }),
    'a',
  );

  it('"/x/*" is a prefix, "/x" exact; header names are lower-cased, methods upper-cased', () => {
    expect(a.routes[0]?.match).toEqual({
      path: { prefix: '/orders/' },
      methods: ['GET', 'POST'],
      headers: { 'x-canary': { exact: 'true' }, 'x-user': { prefix: 'test-' } },
    });
    expect(a.routes[1]?.match).toEqual({ path: { exact: '/health' }, query: { Debug: { present: true } } });
    expect(a.routes[2]?.match).toEqual({ path: { regex: '^/v[0-9]+/' } });
  });

  it('destinations default to every endpoint with weight 1', () => {
    expect(a.routes[0]?.to).toEqual([{ subset: 'v2', weight: 1 }]);
    expect(a.routes[1]?.to).toEqual([{ subset: undefined, weight: 1 }]);
    expect(a.routes[2]?.to).toEqual([
      { subset: 'v1', weight: 90 },
      { subset: 'v2', weight: 10 },
    ]);
  });

  it('mirror defaults to the same service and 100%; faults to 100%', () => {
    expect(a.routes[1]?.mirror).toEqual({ service: 'a', subset: 'v1', percent: 100 });
    expect(a.routes[3]?.mirror).toEqual({ service: 'shadow', subset: undefined, percent: 5 });
    expect(a.routes[2]?.fault).toEqual({ abort: { httpStatus: 503, percent: 100 } });
    expect(a.routes[3]?.fault).toEqual({ delay: { fixedDelayMs: 100, percent: 10 } });
  });

  it('names default to route-N, and a catch-all comes last', () => {
    expect(a.routes.map((r) => r.name)).toEqual(['route-0', 'route-1', 'route-2', 'route-3', 'default']);
    expect(a.subsets.get('v2')).toEqual({ version: 'v2' });
  });
});

describe('the snapshot', () => {
  it('lists discovery sources as kind and parsed options, in order', () => {
    const snapshot = compile({ discovery: [{ static: { a: ['127.0.0.1:1'] } }, { dns: { refresh: '1m' } }] });
    expect(snapshot.discovery).toEqual([
      { kind: 'static', options: { a: ['127.0.0.1:1'] } },
      { kind: 'dns', options: { refresh: 60_000 } },
    ]);
  });

  it('takes durations and sizes parsed, and sizes as plain bytes too', () => {
    expect(compile({ outbound: { replayBodyLimit: '1MiB' } }).outbound.replayBodyLimit).toBe(1_048_576);
    expect(compile({ outbound: { replayBodyLimit: 1000 } }).outbound.replayBodyLimit).toBe(1000);
    expect(compile({ outbound: { replayBodyLimit: '2kB' } }).outbound.replayBodyLimit).toBe(2000);
    expect(service(compile({ services: { a: { timeout: '1.5m' } } }), 'a').routes[0]?.timeoutMs).toBe(90_000);
  });

  it('is frozen', () => {
    const snapshot = compile({ services: { a: {} } });
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(Object.isFrozen(service(snapshot, 'a'))).toBe(true);
    expect(Object.isFrozen(service(snapshot, 'a').routes)).toBe(true);
  });
});
