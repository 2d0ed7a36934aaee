import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { defineBalancer } from '../../src/balancer/balancer.js';
import { createRegistries } from '../../src/builtins.js';
import { formatPath, type RawProblem } from '../../src/config/problems.js';
import { type ConfigRegistries, validateConfig } from '../../src/config/validate.js';
import { defineResolver } from '../../src/discovery/resolver.js';

const registries = createRegistries();

/** The problems of an invalid config, as `path: message`. */
function problems(config: unknown, with_: ConfigRegistries = registries): string[] {
  const result = validateConfig(config, with_);
  expect(result.ok, 'the config should be invalid').toBe(false);
  return result.ok ? [] : result.problems.map((p: RawProblem) => `${formatPath(p.path)}: ${p.message}`);
}

function valid(config: unknown, with_: ConfigRegistries = registries) {
  const result = validateConfig(config, with_);
  if (!result.ok)
    expect.fail(`expected a valid config, got:\n${result.problems.map((p) => `${formatPath(p.path)}: ${p.message}`).join('\n')}`);
  return result.config;
}

describe('unknown keys', () => {
  it('list the keys allowed there and suggest the closest one', () => {
    const [problem] = problems({ services: { payments: { retires: { attempts: 3 } } } });
    expect(problem).toBe(
      'services.payments.retires: unknown key "retires"; expected one of: loadBalancer, timeout, retries, circuitBreaker, ' +
        'outlierDetection, healthCheck, connections, mtls, identity, protocol, subsets, routes (did you mean retries?)',
    );
  });

  it('are found at the top level and deep inside unions', () => {
    expect(problems({ servces: {} })).toEqual([
      'servces: unknown key "servces"; expected one of: $schema, service, discovery, identity, outbound, inbound, telemetry, admin, defaults, services (did you mean services?)',
    ]);
    // circuitBreaker is `false | {...}`: the object branch's own problem is reported, not "expected false or ...".
    expect(problems({ services: { a: { circuitBreaker: { errorThresholdPercent: 50 } } } })).toEqual([
      expect.stringMatching(
        /^services\.a\.circuitBreaker\.errorThresholdPercent: unknown key "errorThresholdPercent"; expected one of: .* \(did you mean errorThresholdPercentage\?\)$/,
      ),
    ]);
  });

  it('get no suggestion when nothing is close', () => {
    const [problem] = problems({ outbound: { zzz: 1 } });
    expect(problem).toBe('outbound.zzz: unknown key "zzz"; expected one of: passthrough, replayBodyLimit');
  });

  it('are reported all together, with every other problem', () => {
    const list = problems({ outbound: { passthru: true }, defaults: { timout: '1s', retries: { attempts: 6 } } });
    expect(list).toHaveLength(3);
    expect(list).toContain('defaults.retries.attempts: expected an integer from 1 to 5, got 6');
  });
});

describe('discovery', () => {
  it('an unknown kind lists the known ones', () => {
    expect(problems({ discovery: [{ consul: { address: 'x' } }] })).toEqual([
      'discovery[0].consul: unknown discovery kind "consul"; known: static, file, dns',
    ]);
  });

  it('an entry has exactly one key', () => {
    expect(problems({ discovery: [{ static: {}, dns: {} }] })).toEqual([
      'discovery[0]: a discovery entry has exactly one key naming its kind (static, file, dns); got 2',
    ]);
    expect(problems({ discovery: [{}] })).toEqual([
      'discovery[0]: a discovery entry has exactly one key naming its kind (static, file, dns); got 0',
    ]);
  });

  it("options are checked by the kind's own schema, under the entry's path", () => {
    expect(
      problems({
        discovery: [{ static: { payments: ['127.0.0.1'] } }, { dns: { name: 'payments.svc', port: 70000, minTtl: 'often' } }, { file: {} }],
      }),
    ).toEqual([
      'discovery[0].static.payments[0]: expected host:port with a port from 1 to 65535 (e.g. 127.0.0.1:9001), got "127.0.0.1"',
      'discovery[1].dns.name: the name template must contain {service}',
      'discovery[1].dns.port: expected an integer from 1 to 65535, got 70000',
      'discovery[1].dns.minTtl: expected a duration such as 250ms, 2s, 1m or 1h, got "often"',
      expect.stringMatching(/^discovery\[2\]\.file\.path: /),
    ]);
  });

  it('valid options come out parsed (durations in ms)', () => {
    const config = valid({ discovery: [{ dns: { maxTtl: '2m' } }, { static: { a: ['127.0.0.1:1', { address: '[::1]:2', weight: 3 }] } }] });
    expect(config.discovery).toEqual([{ dns: { maxTtl: 120_000 } }, { static: { a: ['127.0.0.1:1', { address: '[::1]:2', weight: 3 }] } }]);
  });

  it('a kind registered by the application is validated by its own schema', () => {
    const consul = defineResolver({
      name: 'consul',
      options: v.strictObject({ address: v.string() }),
      create: () => {
        throw new Error('not used');
      },
    });
    const extended = createRegistries({ resolvers: [consul] });
    expect(valid({ discovery: [{ consul: { address: 'http://consul:8500' } }] }, extended).discovery).toEqual([
      { consul: { address: 'http://consul:8500' } },
    ]);
    expect(problems({ discovery: [{ consul: { adress: 'x' } }] }, extended)[0]).toMatch(/^discovery\[0\]\.consul/);
  });
});

describe('load balancers', () => {
  it('an unknown policy lists the known ones, in the string and the object form', () => {
    expect(problems({ services: { a: { loadBalancer: 'fastest' } } })).toEqual([
      'services.a.loadBalancer: unknown load balancer "fastest"; known: peak-ewma, round-robin, least-request, ring-hash',
    ]);
    expect(problems({ defaults: { loadBalancer: { policy: 'fastest' } } })).toEqual([
      'defaults.loadBalancer.policy: unknown load balancer "fastest"; known: peak-ewma, round-robin, least-request, ring-hash',
    ]);
  });

  it('an object needs a policy', () => {
    expect(problems({ services: { a: { loadBalancer: { decay: '5s' } } } })).toEqual([
      'services.a.loadBalancer: a loadBalancer block needs "policy": one of peak-ewma, round-robin, least-request, ring-hash',
    ]);
  });

  it("options are checked by the policy's own schema", () => {
    expect(problems({ services: { a: { loadBalancer: { policy: 'round-robin', decay: '5s' } } } })).toEqual([
      'services.a.loadBalancer.decay: unknown key "decay"; expected one of: policy, panicThreshold',
    ]);
    expect(problems({ services: { a: { loadBalancer: { policy: 'ring-hash', ringSize: 8, hashOn: { header: 'x-user' } } } } })).toEqual([
      'services.a.loadBalancer.ringSize: expected an integer from 16 to 65536, got 8',
    ]);
    expect(problems({ services: { a: { loadBalancer: { policy: 'ring-hash', hashOn: { heder: 'x-user' } } } } })[0]).toMatch(
      /^services\.a\.loadBalancer\.hashOn\.heder: unknown key "heder"; expected one of: header, cookie \(did you mean header\?\)$/,
    );
  });

  it('valid options come out parsed, the string form as { policy }', () => {
    const config = valid({
      defaults: { loadBalancer: 'least-request' },
      services: { a: { loadBalancer: { policy: 'peak-ewma', decay: '5s', panicThreshold: 0 } } },
    });
    expect(config.defaults?.loadBalancer).toEqual({ policy: 'least-request' });
    expect(config.services?.a?.loadBalancer).toEqual({ policy: 'peak-ewma', decay: 5000, panicThreshold: 0 });
  });

  it('a policy registered by the application is known, with its options', () => {
    const fastest = defineBalancer({
      name: 'fastest',
      options: { window: v.optional(v.number()) },
      create: () => {
        throw new Error('not used');
      },
    });
    const extended = createRegistries({ balancers: [fastest] });
    expect(valid({ services: { a: { loadBalancer: { policy: 'fastest', window: 3 } } } }, extended).services?.a?.loadBalancer).toEqual({
      policy: 'fastest',
      window: 3,
    });
    expect(problems({ services: { a: { loadBalancer: 'slowest' } } }, extended)[0]).toContain(
      'known: peak-ewma, round-robin, least-request, ring-hash, fastest',
    );
  });
});

describe('cross-references', () => {
  it('a route may only send to a subset the service defines', () => {
    expect(
      problems({
        services: {
          a: {
            subsets: { v1: { version: 'v1' }, v2: { version: 'v2' } },
            routes: [{ to: [{ subset: 'v1' }, { subset: 'v3' }] }, { to: [{ subset: 'v2' }], mirror: { subset: 'canary' } }],
          },
          b: { routes: [{ to: [{ subset: 'v1' }] }] },
        },
      }),
    ).toEqual([
      'services.a.routes[0].to[1].subset: unknown subset "v3"; defined: v1, v2',
      'services.a.routes[1].mirror.subset: unknown subset "canary"',
      'services.b.routes[0].to[0].subset: unknown subset "v1"; define it under subsets:',
    ]);
  });

  it("a mirror to another service is not checked against this service's subsets", () => {
    valid({ services: { a: { routes: [{ mirror: { service: 'b', subset: 'v9' } }] } } });
  });

  it('regular expressions must compile', () => {
    const list = problems({
      services: {
        a: {
          routes: [
            {
              match: {
                path: { regex: '^/orders/(\\d+$' },
                headers: { 'x-user': { regex: '[a-' }, 'x-ok': { regex: '^ok$' } },
                query: { q: { regex: '*' } },
              },
            },
          ],
        },
      },
    });
    expect(list).toHaveLength(3);
    expect(list[0]).toMatch(/^services\.a\.routes\[0\]\.match\.path\.regex: invalid regular expression: /);
    expect(list[1]).toMatch(/^services\.a\.routes\[0\]\.match\.headers\.x-user\.regex: invalid regular expression: /);
    expect(list[2]).toMatch(/^services\.a\.routes\[0\]\.match\.query\.q\.regex: invalid regular expression: /);
  });

  it('at least one destination of a route has a weight above 0', () => {
    expect(problems({ services: { a: { routes: [{ to: [{ weight: 0 }] }] } } })).toEqual([
      'services.a.routes[0].to: at least one destination needs a weight above 0',
    ]);
  });

  it('backoff.base must not exceed backoff.max, wherever retries are set', () => {
    const backoff = { base: '1s', max: '100ms' };
    expect(
      problems({
        defaults: { retries: { backoff } },
        services: { a: { retries: { backoff }, routes: [{ retries: { backoff } }] } },
      }),
    ).toEqual([
      'defaults.retries.backoff: backoff.base must not exceed backoff.max',
      'services.a.retries.backoff: backoff.base must not exceed backoff.max',
      'services.a.routes[0].retries.backoff: backoff.base must not exceed backoff.max',
    ]);
  });

  it('a retry budget on a route is refused: the budget is per service', () => {
    expect(problems({ services: { a: { routes: [{ retries: { budget: { ratio: 0.5 } } }] } } })).toEqual([
      'services.a.routes[0].retries.budget: the retry budget is per service; move it to services.a.retries.budget (or defaults.retries.budget)',
    ]);
  });
});

describe('values', () => {
  it('name what is expected and what was given', () => {
    expect(
      problems({
        outbound: { passthrough: 'yes', replayBodyLimit: '64 KB' },
        services: {
          'bad name!': {},
          a: { protocol: 'h2', retries: { on: ['connect-failure', 'sometimes', 700], budget: { ratio: 2 } } },
        },
      }),
    ).toEqual([
      'outbound.passthrough: expected true or false, got "yes"',
      'outbound.replayBodyLimit: expected a size such as 64KiB, 1MiB or a number of bytes, got "64 KB"',
      'services["bad name!"]: expected a service name (letters, digits, - . _), got "bad name!"',
      'services.a.retries.on[1]: expected one of connect-failure, refused-stream, reset, timeout, 5xx, gateway-error or an HTTP status code (100-599), got "sometimes"',
      'services.a.retries.on[2]: expected one of connect-failure, refused-stream, reset, timeout, 5xx, gateway-error or an HTTP status code (100-599), got 700',
      'services.a.retries.budget.ratio: expected a number from 0 to 1, got 2',
      'services.a.protocol: expected one of http, https, got "h2"',
    ]);
  });

  it('an empty or missing config is valid', () => {
    for (const empty of [undefined, null, {}]) expect(valid(empty)).toEqual({ discovery: [] });
  });

  it('a config that is not a mapping says what is expected', () => {
    expect(problems('services: {}')).toEqual([
      '(root): expected an object with keys $schema, service, discovery, identity, outbound, inbound, telemetry, admin, defaults, services, got "services: {}"',
    ]);
    // A YAML list where a mapping belongs.
    expect(problems({ services: { a: { retries: [{ attempts: 3 }] } } })).toEqual([
      'services.a.retries: expected a mapping with keys attempts, perTryTimeout, on, backoff, maxRetryAfter, budget, got a list',
    ]);
  });

  it('required keys that are missing are named', () => {
    expect(problems({ services: { a: { healthCheck: { interval: '5s' } } } })).toEqual(['services.a.healthCheck.path: missing key "path"']);
  });

  it('match conditions take exactly one form', () => {
    expect(
      problems({
        services: {
          a: {
            routes: [
              {
                match: { path: 'orders', headers: { 'x-a': { exct: 'x' }, 'x-b': { prefix: 'a', regex: 'b' }, 'x-c': { present: 'yes' } } },
              },
            ],
          },
        },
      }),
    ).toEqual([
      'services.a.routes[0].match.path: paths start with /, got "orders"',
      'services.a.routes[0].match.headers.x-a.exct: unknown key "exct"; expected one of: exact, prefix, regex, present (did you mean exact?)',
      'services.a.routes[0].match.headers.x-b: expected exactly one of exact, prefix, regex, present, got 2',
      'services.a.routes[0].match.headers.x-c.present: expected true or false, got "yes"',
    ]);
  });
});
