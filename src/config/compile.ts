// config: the validated config compiled to an immutable snapshot: every default resolved
// (route ?? service ?? `defaults:` ?? DEFAULTS), durations in ms, nothing left to look up on the
// request path. A reload builds a new snapshot and swaps it whole.
import { dirname, resolve } from 'node:path';
import { DEFAULTS } from './defaults.js';
import type { ParsedConfig, ParsedInbound, ParsedRetries, ParsedRoute, ParsedService } from './schema.js';
import { parseDuration, parseSize } from './units.js';

const ms = parseDuration;

export interface RetrySettings {
  readonly attempts: number;
  readonly perTryTimeoutMs: number | undefined;
  readonly on: readonly (string | number)[];
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly maxRetryAfterMs: number;
}

export interface BudgetSettings {
  readonly ratio: number;
  readonly minRetriesPerSecond: number;
  readonly ttlMs: number;
}

export interface BreakerSettings {
  readonly errorThresholdPercentage: number;
  readonly volumeThreshold: number;
  readonly windowMs: number;
  readonly resetTimeoutMs: number;
}

export interface OutlierSettings {
  readonly consecutive5xxErrors: number;
  readonly consecutiveGatewayErrors: number;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
}

export interface HealthCheckSettings {
  readonly path: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export interface BalancerSettings {
  readonly policy: string;
  readonly panicThreshold: number;
  /** The policy's own options, validated by its registered schema. */
  readonly options: Readonly<Record<string, unknown>>;
}

export type StringMatchSettings =
  | { readonly exact: string }
  | { readonly prefix: string }
  | { readonly regex: string }
  | { readonly present: boolean };

export interface RouteMatchSettings {
  readonly path?: { readonly exact: string } | { readonly prefix: string } | { readonly regex: string };
  readonly methods?: readonly string[];
  /** Lower-case header names. */
  readonly headers?: Readonly<Record<string, StringMatchSettings>>;
  readonly query?: Readonly<Record<string, StringMatchSettings>>;
}

export interface MirrorSettings {
  readonly service: string;
  readonly subset: string | undefined;
  readonly percent: number;
}

export interface FaultSettings {
  readonly delay?: { readonly fixedDelayMs: number; readonly percent: number };
  readonly abort?: { readonly httpStatus: number; readonly percent: number };
}

export interface RouteSettings {
  readonly name: string;
  readonly match: RouteMatchSettings;
  readonly to: readonly { readonly subset: string | undefined; readonly weight: number }[];
  readonly timeoutMs: number | undefined;
  readonly retries: RetrySettings;
  readonly mirror?: MirrorSettings;
  readonly fault?: FaultSettings;
}

export interface ServiceSettings {
  readonly name: string;
  readonly protocol: 'http' | 'https';
  readonly loadBalancer: BalancerSettings;
  readonly budget: BudgetSettings;
  readonly circuitBreaker: BreakerSettings | false;
  readonly outlierDetection: OutlierSettings | false;
  readonly healthCheck: HealthCheckSettings | undefined;
  readonly connections: { readonly maxPerEndpoint: number; readonly connectTimeoutMs: number; readonly keepAliveTimeoutMs: number };
  readonly subsets: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Declared routes, then a catch-all to every endpoint. Never empty. */
  readonly routes: readonly RouteSettings[];
  /** Set when calls to the service use mTLS: the SPIFFE ID its servers must present. */
  readonly mtls: { readonly identity: string } | undefined;
}

export interface IdentitySettings {
  readonly trustDomain: string;
  /** Absolute paths of this workload's TLS files. */
  readonly tls: { readonly ca: string; readonly cert: string; readonly key: string } | undefined;
  readonly serviceIdentity: string;
}

/** An authorization policy (security/authorization.ts evaluates it). */
export interface AuthorizationRule {
  readonly name: string;
  readonly action: 'allow' | 'deny';
  readonly from?: readonly string[];
  readonly methods?: readonly string[];
  readonly paths?: readonly string[];
  /** Lower-case names. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly dryRun?: boolean;
}

export interface InboundSettings {
  readonly mtls: 'strict' | 'permissive' | 'off';
  readonly authorization: readonly AuthorizationRule[];
  readonly rateLimit: { readonly requestsPerSecond: number; readonly burst: number } | undefined;
  readonly concurrencyLimit: number | undefined;
  readonly timeouts: { readonly headersMs: number; readonly requestMs: number; readonly keepAliveMs: number };
  readonly drain: { readonly timeoutMs: number; readonly delayMs: number; readonly signals: readonly NodeJS.Signals[] };
  readonly healthPaths: boolean;
}

export interface DiscoverySettings {
  readonly kind: string;
  readonly options: unknown;
}

/** The immutable compiled config. */
export interface TelemetrySnapshotSettings {
  readonly tracing: boolean;
  readonly metrics: boolean;
  readonly accessLog:
    | {
        readonly output: 'stdout' | 'stderr' | { readonly file: string };
        readonly sample: number;
        readonly directions: readonly ('inbound' | 'outbound')[];
      }
    | undefined;
}

export interface AdminSettings {
  readonly host: string;
  readonly token: string | undefined;
}

export interface ConfigSnapshot {
  readonly service: string | undefined;
  readonly telemetry: TelemetrySnapshotSettings;
  readonly admin: AdminSettings;
  readonly identity: IdentitySettings | undefined;
  readonly inbound: InboundSettings;
  readonly discovery: readonly DiscoverySettings[];
  readonly outbound: { readonly passthrough: boolean; readonly replayBodyLimit: number };
  readonly services: ReadonlyMap<string, ServiceSettings>;
  /** Settings for a service known only from discovery (no entry under `services:`). */
  defaultsFor(name: string): ServiceSettings;
  /** File the snapshot came from, if any. */
  readonly source: string | undefined;
  /**
   * The validated config, as JSON for the admin /config page. Typed loosely on purpose: the
   * schema's own type would pull every valibot schema type into the public declarations.
   */
  readonly raw: Readonly<Record<string, unknown>>;
}

type Policy = Omit<ParsedService, 'subsets' | 'routes' | 'protocol'>;

function retries(r: ParsedRetries | undefined, inherited: RetrySettings | undefined): RetrySettings {
  return {
    attempts: r?.attempts ?? inherited?.attempts ?? DEFAULTS.retries.attempts,
    perTryTimeoutMs: r?.perTryTimeout ?? inherited?.perTryTimeoutMs,
    on: r?.on ?? inherited?.on ?? DEFAULTS.retries.on,
    backoffBaseMs: r?.backoff?.base ?? inherited?.backoffBaseMs ?? ms(DEFAULTS.retries.backoffBase),
    backoffMaxMs: r?.backoff?.max ?? inherited?.backoffMaxMs ?? ms(DEFAULTS.retries.backoffMax),
    maxRetryAfterMs: r?.maxRetryAfter ?? inherited?.maxRetryAfterMs ?? ms(DEFAULTS.retries.maxRetryAfter),
  };
}

/**
 * A service's policy block over the inherited one (`defaults:`), key by key, so that a service
 * setting one key keeps the others it inherits. `false` (turned off) is taken whole.
 */
function merge<T extends object>(own: T | false | undefined, inherited: T | false | undefined): T | false | undefined {
  if (own === false || own === undefined) return own ?? inherited;
  if (inherited === false || inherited === undefined) return own;
  const set = Object.fromEntries(Object.entries(own).filter(([, value]) => value !== undefined));
  return { ...inherited, ...set };
}

function balancer(value: Policy['loadBalancer']): BalancerSettings {
  const {
    policy = DEFAULTS.loadBalancer.policy,
    panicThreshold = DEFAULTS.loadBalancer.panicThreshold,
    ...options
  } = typeof value === 'string' ? { policy: value } : ((value ?? {}) as Record<string, unknown>);
  return { policy: String(policy), panicThreshold: Number(panicThreshold), options };
}

function pathMatch(path: NonNullable<ParsedRoute['match']>['path']): RouteMatchSettings['path'] {
  if (path === undefined) return undefined;
  if (typeof path !== 'string') return path;
  // "/x/*" is a prefix match on "/x/"; "/x" is exact.
  return path.endsWith('*') ? { prefix: path.slice(0, -1) } : { exact: path };
}

function stringMatches(record: Record<string, unknown> | undefined, lowerKeys: boolean) {
  if (!record) return undefined;
  const out: Record<string, StringMatchSettings> = {};
  for (const [key, value] of Object.entries(record)) {
    out[lowerKeys ? key.toLowerCase() : key] = (typeof value === 'string' ? { exact: value } : value) as StringMatchSettings;
  }
  return out;
}

function compileService(
  name: string,
  service: ParsedService | undefined,
  defaults: Policy,
  identity: IdentitySettings | undefined,
): ServiceSettings {
  const pick = <K extends keyof Policy>(key: K): Policy[K] => (service?.[key] ?? defaults[key]) as Policy[K];
  const serviceRetries = retries(service?.retries, retries(defaults.retries, undefined));
  const budget = merge(service?.retries?.budget, defaults.retries?.budget) || undefined;
  const cb = merge(service?.circuitBreaker, defaults.circuitBreaker);
  const od = merge(service?.outlierDetection, defaults.outlierDetection);
  const hc = merge(service?.healthCheck, defaults.healthCheck) || undefined;
  const conn = merge(service?.connections, defaults.connections) || {};
  const timeoutMs = pick('timeout');

  const routes: RouteSettings[] = (service?.routes ?? []).map((route, index) => ({
    name: route.name ?? `route-${index}`,
    match: {
      ...(route.match?.path !== undefined ? { path: pathMatch(route.match.path) } : {}),
      ...(route.match?.methods ? { methods: route.match.methods } : {}),
      ...(route.match?.headers ? { headers: stringMatches(route.match.headers, true) } : {}),
      ...(route.match?.query ? { query: stringMatches(route.match.query, false) } : {}),
    },
    to: (route.to ?? [{}]).map((d) => ({ subset: d.subset, weight: d.weight ?? 1 })),
    timeoutMs: route.timeout ?? timeoutMs,
    retries: retries(route.retries, serviceRetries),
    ...(route.mirror
      ? { mirror: { service: route.mirror.service ?? name, subset: route.mirror.subset, percent: route.mirror.percent ?? 100 } }
      : {}),
    ...(route.fault
      ? {
          fault: {
            ...(route.fault.delay
              ? { delay: { fixedDelayMs: route.fault.delay.fixedDelay, percent: route.fault.delay.percent ?? 100 } }
              : {}),
            ...(route.fault.abort
              ? { abort: { httpStatus: route.fault.abort.httpStatus, percent: route.fault.abort.percent ?? 100 } }
              : {}),
          },
        }
      : {}),
  }));
  routes.push({ name: 'default', match: {}, to: [{ subset: undefined, weight: 1 }], timeoutMs, retries: serviceRetries });

  return Object.freeze({
    name,
    protocol: service?.protocol ?? 'http',
    loadBalancer: balancer(pick('loadBalancer')),
    budget: {
      ratio: budget?.ratio ?? DEFAULTS.budget.ratio,
      minRetriesPerSecond: budget?.minRetriesPerSecond ?? DEFAULTS.budget.minRetriesPerSecond,
      ttlMs: budget?.ttl ?? ms(DEFAULTS.budget.ttl),
    },
    circuitBreaker:
      cb === false
        ? false
        : {
            errorThresholdPercentage: cb?.errorThresholdPercentage ?? DEFAULTS.circuitBreaker.errorThresholdPercentage,
            volumeThreshold: cb?.volumeThreshold ?? DEFAULTS.circuitBreaker.volumeThreshold,
            windowMs: cb?.window ?? ms(DEFAULTS.circuitBreaker.window),
            resetTimeoutMs: cb?.resetTimeout ?? ms(DEFAULTS.circuitBreaker.resetTimeout),
          },
    outlierDetection:
      od === false
        ? false
        : {
            consecutive5xxErrors: od?.consecutive5xxErrors ?? DEFAULTS.outlierDetection.consecutive5xxErrors,
            consecutiveGatewayErrors: od?.consecutiveGatewayErrors ?? DEFAULTS.outlierDetection.consecutiveGatewayErrors,
            intervalMs: od?.interval ?? ms(DEFAULTS.outlierDetection.interval),
            baseEjectionTimeMs: od?.baseEjectionTime ?? ms(DEFAULTS.outlierDetection.baseEjectionTime),
            maxEjectionTimeMs: od?.maxEjectionTime ?? ms(DEFAULTS.outlierDetection.maxEjectionTime),
            maxEjectionPercent: od?.maxEjectionPercent ?? DEFAULTS.outlierDetection.maxEjectionPercent,
          },
    healthCheck: hc
      ? {
          path: hc.path,
          intervalMs: hc.interval ?? ms(DEFAULTS.healthCheck.interval),
          timeoutMs: hc.timeout ?? ms(DEFAULTS.healthCheck.timeout),
          healthyThreshold: hc.healthyThreshold ?? DEFAULTS.healthCheck.healthyThreshold,
          unhealthyThreshold: hc.unhealthyThreshold ?? DEFAULTS.healthCheck.unhealthyThreshold,
        }
      : undefined,
    connections: {
      maxPerEndpoint: conn.maxPerEndpoint ?? DEFAULTS.connections.maxPerEndpoint,
      connectTimeoutMs: conn.connectTimeout ?? ms(DEFAULTS.connections.connectTimeout),
      keepAliveTimeoutMs: conn.keepAliveTimeout ?? ms(DEFAULTS.connections.keepAliveTimeout),
    },
    subsets: new Map(Object.entries(service?.subsets ?? {})),
    routes: Object.freeze(routes),
    mtls:
      identity?.tls && service?.mtls !== false
        ? {
            identity:
              service?.identity ?? identity.serviceIdentity.replaceAll('{trustDomain}', identity.trustDomain).replaceAll('{service}', name),
          }
        : undefined,
  });
}

function compileTelemetry(config: ParsedConfig, baseDir: string): TelemetrySnapshotSettings {
  const t = config.telemetry;
  const log = t?.accessLog;
  const output = log?.output ?? DEFAULTS.telemetry.accessLogOutput;
  return {
    tracing: t?.tracing?.enabled ?? DEFAULTS.telemetry.tracing,
    metrics: t?.metrics?.enabled ?? DEFAULTS.telemetry.metrics,
    accessLog:
      log && log.enabled !== false
        ? {
            output: output === 'stdout' || output === 'stderr' ? output : { file: resolve(baseDir, output) },
            sample: log.sample ?? DEFAULTS.telemetry.accessLogSample,
            directions: log.directions ?? ['inbound', 'outbound'],
          }
        : undefined,
  };
}

function compileIdentity(config: ParsedConfig, baseDir: string): IdentitySettings | undefined {
  const identity = config.identity;
  if (!identity) return undefined;
  return {
    trustDomain: identity.trustDomain,
    tls: identity.tls
      ? { ca: resolve(baseDir, identity.tls.ca), cert: resolve(baseDir, identity.tls.cert), key: resolve(baseDir, identity.tls.key) }
      : undefined,
    serviceIdentity: identity.serviceIdentity ?? DEFAULTS.identity.serviceIdentity,
  };
}

function compileInbound(inbound: ParsedInbound | undefined, identity: IdentitySettings | undefined): InboundSettings {
  return {
    mtls: inbound?.mtls ?? (identity?.tls ? 'strict' : 'off'),
    authorization: (inbound?.authorization ?? []).map((policy, index) => ({
      name: policy.name ?? `policy-${index}`,
      action: policy.action ?? 'allow',
      ...(policy.from ? { from: policy.from } : {}),
      ...(policy.methods ? { methods: policy.methods } : {}),
      ...(policy.paths ? { paths: policy.paths } : {}),
      ...(policy.headers ? { headers: Object.fromEntries(Object.entries(policy.headers).map(([k, v]) => [k.toLowerCase(), v])) } : {}),
      dryRun: policy.dryRun ?? false,
    })),
    rateLimit: inbound?.rateLimit
      ? {
          requestsPerSecond: inbound.rateLimit.requestsPerSecond,
          burst: inbound.rateLimit.burst ?? Math.max(1, Math.ceil(inbound.rateLimit.requestsPerSecond)),
        }
      : undefined,
    concurrencyLimit: inbound?.concurrencyLimit,
    timeouts: {
      headersMs: inbound?.timeouts?.headers ?? ms(DEFAULTS.inbound.headersTimeout),
      requestMs: inbound?.timeouts?.request ?? ms(DEFAULTS.inbound.requestTimeout),
      keepAliveMs: inbound?.timeouts?.keepAlive ?? ms(DEFAULTS.inbound.keepAliveTimeout),
    },
    drain: {
      timeoutMs: inbound?.drain?.timeout ?? ms(DEFAULTS.inbound.drainTimeout),
      delayMs: inbound?.drain?.delay ?? ms(DEFAULTS.inbound.drainDelay),
      signals: (inbound?.drain?.signals ?? DEFAULTS.inbound.drainSignals) as readonly NodeJS.Signals[],
    },
    healthPaths: inbound?.healthPaths ?? DEFAULTS.inbound.healthPaths,
  };
}

/** Compiles a validated config. */
export function compileConfig(config: ParsedConfig, source?: string): ConfigSnapshot {
  const defaults: Policy = config.defaults ?? {};
  const identity = compileIdentity(config, source ? dirname(source) : process.cwd());
  const services = new Map<string, ServiceSettings>();
  for (const [name, service] of Object.entries(config.services ?? {})) {
    services.set(name, compileService(name, service, defaults, identity));
  }
  const cache = new Map<string, ServiceSettings>();
  return Object.freeze({
    service: config.service,
    identity,
    inbound: compileInbound(config.inbound, identity),
    telemetry: compileTelemetry(config, source ? dirname(source) : process.cwd()),
    admin: { host: config.admin?.host ?? DEFAULTS.admin.host, token: config.admin?.token },
    discovery: (config.discovery ?? []).map((entry) => {
      const [kind, options] = Object.entries(entry)[0] as [string, unknown];
      return { kind, options };
    }),
    outbound: {
      passthrough: config.outbound?.passthrough ?? DEFAULTS.outbound.passthrough,
      replayBodyLimit: config.outbound?.replayBodyLimit ?? parseSize(DEFAULTS.outbound.replayBodyLimit),
    },
    services,
    defaultsFor(name: string) {
      let settings = cache.get(name);
      if (!settings) cache.set(name, (settings = compileService(name, undefined, defaults, identity)));
      return settings;
    },
    source,
    raw: config,
  });
}
