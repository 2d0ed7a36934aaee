// config: validation in two passes. The root schema checks the file's shape; then each discovery
// entry and load-balancer block is checked against the schema its registered kind brings, and
// cross-references (subset names, regexes, weights) are checked. All problems are collected, so
// a user fixes a file in one round, not one error at a time.
import * as v from 'valibot';
import type { BalancerFactory } from '../balancer/balancer.js';
import type { ResolverFactory } from '../discovery/resolver.js';
import { parseSpiffeId } from '../security/spiffe.js';
import type { Registry } from '../util/registry.js';
import { formatPath, issuesToProblems, type PathKey, type RawProblem } from './problems.js';
import { commonBalancerOptions, configSchema, type ParsedConfig, type ParsedRetries, type ParsedService, strict } from './schema.js';

/** The extension points config validation consults. */
export interface ConfigRegistries {
  readonly resolvers: Registry<ResolverFactory>;
  readonly balancers: Registry<BalancerFactory>;
}

export type ValidationResult = { ok: true; config: ParsedConfig } | { ok: false; problems: RawProblem[] };

/** Validates a config value (already parsed from JSON/YAML, or given as an object). */
export function validateConfig(value: unknown, registries: ConfigRegistries): ValidationResult {
  const first = v.safeParse(configSchema, value ?? {}, { abortEarly: false });
  if (!first.success) return { ok: false, problems: issuesToProblems(first.issues) };
  const config = first.output;
  const problems: RawProblem[] = [];

  const discovery = (config.discovery ?? []).map((entry, index) => {
    const keys = Object.keys(entry);
    const path: PathKey[] = ['discovery', index];
    if (keys.length !== 1) {
      problems.push({
        path,
        message: `a discovery entry has exactly one key naming its kind (${registries.resolvers.names.join(', ')}); got ${keys.length}`,
      });
      return entry;
    }
    const kind = keys[0] as string;
    const factory = registries.resolvers.find(kind);
    if (!factory) {
      problems.push({
        path: [...path, kind],
        atKey: true,
        message: `unknown discovery kind "${kind}"; known: ${registries.resolvers.names.join(', ')}`,
      });
      return entry;
    }
    const result = v.safeParse(factory.options, entry[kind] ?? {}, { abortEarly: false });
    if (!result.success) {
      problems.push(...issuesToProblems(result.issues, [...path, kind]));
      return entry;
    }
    return { [kind]: result.output };
  });

  const checkBalancer = (value: unknown, path: PathKey[]): unknown => {
    if (value === undefined) return undefined;
    const block = typeof value === 'string' ? { policy: value } : (value as Record<string, unknown>);
    const name = block.policy;
    if (typeof name !== 'string') {
      problems.push({ path, message: `a loadBalancer block needs "policy": one of ${registries.balancers.names.join(', ')}` });
      return value;
    }
    const factory = registries.balancers.find(name);
    if (!factory) {
      problems.push({
        path: typeof value === 'string' ? path : [...path, 'policy'],
        message: `unknown load balancer "${name}"; known: ${registries.balancers.names.join(', ')}`,
      });
      return value;
    }
    const schema = strict({ policy: v.string(), ...commonBalancerOptions, ...factory.options });
    const result = v.safeParse(schema, block, { abortEarly: false });
    if (!result.success) {
      problems.push(...issuesToProblems(result.issues, path));
      return value;
    }
    return result.output;
  };

  checkRetries(config.defaults?.retries, ['defaults', 'retries'], problems);
  const defaults = config.defaults
    ? { ...config.defaults, loadBalancer: checkBalancer(config.defaults.loadBalancer, ['defaults', 'loadBalancer']) }
    : undefined;
  const services: Record<string, ParsedService> = {};
  for (const [name, service] of Object.entries(config.services ?? {})) {
    const path: PathKey[] = ['services', name];
    checkService(service, path, problems);
    services[name] = { ...service, loadBalancer: checkBalancer(service.loadBalancer, [...path, 'loadBalancer']) } as ParsedService;
    if (service.mtls === true && !config.identity?.tls) {
      problems.push({ path: [...path, 'mtls'], message: "mTLS needs this workload's certificate: set identity.tls" });
    }
    if (service.identity !== undefined && !parseSpiffeId(service.identity)) {
      problems.push({ path: [...path, 'identity'], message: `${JSON.stringify(service.identity)} is not a valid SPIFFE ID` });
    }
  }
  checkIdentity(config, problems);

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      ...config,
      discovery,
      ...(defaults ? { defaults: defaults as ParsedConfig['defaults'] } : {}),
      ...(config.services ? { services } : {}),
    } as ParsedConfig,
  };
}

function checkIdentity(config: ParsedConfig, problems: RawProblem[]): void {
  const mode = config.inbound?.mtls;
  if ((mode === 'strict' || mode === 'permissive') && !config.identity?.tls) {
    problems.push({ path: ['inbound', 'mtls'], message: `mtls: ${mode} needs this workload's certificate: set identity.tls` });
  }
  (config.inbound?.authorization ?? []).forEach((policy, index) => {
    (policy.from ?? []).forEach((from, i) => {
      const id = from.endsWith('*') ? from.slice(0, -1) : from;
      if (from !== '*' && !id.startsWith('spiffe://')) {
        problems.push({
          path: ['inbound', 'authorization', index, 'from', i],
          message: `expected a SPIFFE ID (spiffe://...), a prefix ending in *, or *; got ${JSON.stringify(from)}`,
        });
      } else if (from !== '*' && !from.endsWith('*') && !parseSpiffeId(from)) {
        problems.push({
          path: ['inbound', 'authorization', index, 'from', i],
          message: `${JSON.stringify(from)} is not a valid SPIFFE ID`,
        });
      }
    });
  });
}

function checkRegex(source: string, path: PathKey[], problems: RawProblem[]): void {
  try {
    new RegExp(source);
  } catch (err) {
    problems.push({ path, message: `invalid regular expression: ${(err as Error).message}` });
  }
}

function checkStringMatches(record: Record<string, unknown> | undefined, path: PathKey[], problems: RawProblem[]): void {
  for (const [key, value] of Object.entries(record ?? {})) {
    if (value && typeof value === 'object' && 'regex' in value) checkRegex(String(value.regex), [...path, key, 'regex'], problems);
  }
}

function checkRetries(retries: ParsedRetries | undefined, path: PathKey[], problems: RawProblem[]): void {
  const backoff = retries?.backoff;
  if (backoff?.base !== undefined && backoff.max !== undefined && backoff.base > backoff.max) {
    problems.push({ path: [...path, 'backoff'], message: 'backoff.base must not exceed backoff.max' });
  }
}

function checkService(service: ParsedService, path: PathKey[], problems: RawProblem[]): void {
  const subsets = service.subsets ?? {};
  checkRetries(service.retries, [...path, 'retries'], problems);
  (service.routes ?? []).forEach((route, index) => {
    const routePath = [...path, 'routes', index];
    checkRetries(route.retries, [...routePath, 'retries'], problems);
    // compile.ts keeps one budget per service; a route's would be silently ignored.
    if (route.retries?.budget !== undefined) {
      problems.push({
        path: [...routePath, 'retries', 'budget'],
        atKey: true,
        message: `the retry budget is per service; move it to ${formatPath([...path, 'retries', 'budget'])} (or defaults.retries.budget)`,
      });
    }
    const p = route.match?.path;
    if (p && typeof p === 'object' && 'regex' in p) checkRegex(p.regex, [...routePath, 'match', 'path', 'regex'], problems);
    checkStringMatches(route.match?.headers, [...routePath, 'match', 'headers'], problems);
    checkStringMatches(route.match?.query, [...routePath, 'match', 'query'], problems);
    (route.to ?? []).forEach((destination, i) => {
      if (destination.subset !== undefined && !(destination.subset in subsets)) {
        const known = Object.keys(subsets);
        problems.push({
          path: [...routePath, 'to', i, 'subset'],
          message: `unknown subset "${destination.subset}"; ${known.length ? `defined: ${known.join(', ')}` : 'define it under subsets:'}`,
        });
      }
    });
    if (route.to?.every((d) => d.weight === 0)) {
      problems.push({ path: [...routePath, 'to'], message: 'at least one destination needs a weight above 0' });
    }
    if (route.mirror?.subset !== undefined && route.mirror.service === undefined && !(route.mirror.subset in subsets)) {
      problems.push({ path: [...routePath, 'mirror', 'subset'], message: `unknown subset "${route.mirror.subset}"` });
    }
  });
}
