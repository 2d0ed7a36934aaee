// config: the config file's types as a user writes it (durations as strings), for the public API.
//
// Written by hand, not inferred from schema.ts: the inferred type drags every valibot schema type
// into dist/index.d.ts (~900 KB), which every user's editor then has to load. schema.ts stays the
// one source of truth; test/config/types.test.ts fails to compile when the two disagree.
//
// Optional keys are `?: T | undefined`, as valibot infers them, so that users who turn on
// exactOptionalPropertyTypes can still pass `undefined`. Arrays are mutable for the same reason:
// this is exactly the input the schema accepts, no stricter and no looser.

/** A duration such as `250ms`, `2s`, `1m` or `1h`. */
export type Duration = string;

/** A size such as `64KiB` or `1MiB`, or a whole number of bytes. */
export type Size = string | number;

/** Labels of an endpoint (version, zone, ...). Values are strings: quote numbers. */
export type Labels = Record<string, string>;

/**
 * The config of a mesh, as written in inmesh.yaml or passed to `createMesh({ config })`.
 *
 * Every key is optional: an empty config is a mesh with the built-in defaults.
 */
export interface MeshConfig {
  /** URL or path of the JSON Schema of this file, for editors; ignored by inmesh. */
  $schema?: string | undefined;
  /** Name of this service (telemetry, identity): letters, digits, `-`, `.` and `_`. */
  service?: string | undefined;
  /**
   * Discovery sources, in order: the first that knows a service serves it. Each is
   * `{ static | file | dns: options }`, or `{ <name>: options }` for a resolver registered through
   * `createMesh({ resolvers })`.
   */
  discovery?: DiscoveryConfig[] | undefined;
  /** Who this workload is, and how peers prove who they are (mTLS with SPIFFE IDs). */
  identity?: IdentityConfig | undefined;
  /** Requests this process sends. */
  outbound?: OutboundConfig | undefined;
  /** Requests this service receives (mesh.createServer, mesh.middleware, the Fastify plugin). */
  inbound?: InboundConfig | undefined;
  /** Traces, metrics and access logs. */
  telemetry?: TelemetryConfig | undefined;
  /** The admin server (mesh.admin.listen): /metrics, /healthz, /readyz, /config, /endpoints, /routes, /dashboard. */
  admin?: AdminConfig | undefined;
  /**
   * Policies every service inherits unless it sets its own (route, then service, then these, then
   * the built-in defaults).
   */
  defaults?: DefaultsConfig | undefined;
  /** Policies per service, by logical name (the URL host). */
  services?: Record<string, ServiceConfig> | undefined;
}

// ---------------------------------------------------------------------------------------------
// discovery

/**
 * One entry of `discovery:`: `{ static: ... }`, `{ file: ... }`, `{ dns: ... }`, or
 * `{ <name>: options }` for a custom resolver. An entry has exactly one key; its options are checked
 * against the resolver's own schema when the config is loaded.
 */
export type DiscoveryConfig = StaticDiscoveryConfig | FileDiscoveryConfig | DnsDiscoveryConfig | CustomDiscoveryConfig;

// The entries are type aliases, not interfaces: an interface has no implicit index signature, so
// it would not be assignable to the schema's `Record<string, unknown>` entry.

/** Endpoints written in the config, by service name. */
export type StaticDiscoveryConfig = {
  /** Endpoints written in the config, by service name. */
  static: Record<string, EndpointConfig[]>;
};

/** Endpoints read from a file, re-read when it changes. */
export type FileDiscoveryConfig = {
  /** Endpoints read from a file, re-read when it changes. */
  file: FileDiscoveryOptions;
};

/** Endpoints from DNS: A/AAAA records with a configured port, or SRV records; re-resolved as TTLs expire. */
export type DnsDiscoveryConfig = {
  /** Endpoints from DNS: A/AAAA records with a configured port, or SRV records; re-resolved as TTLs expire. */
  dns: DnsDiscoveryOptions;
};

/** `{ <name>: options }` for a resolver registered through `createMesh({ resolvers })`. */
export type CustomDiscoveryConfig = Record<string, unknown>;

/** One endpoint: `"host:port"`, or `{ address, labels, weight }`. Endpoints files list them the same way. */
export type EndpointConfig =
  | string
  | {
      /** `host:port` of the endpoint, with a port from 1 to 65535 (e.g. `127.0.0.1:9001`, `[::1]:9001`). */
      address: string;
      /** Labels of the endpoint (version, zone, ...), matched by subsets. */
      labels?: Labels | undefined;
      /**
       * Relative share of traffic for this endpoint, 1 to 1,000,000.
       * @default 1
       */
      weight?: number | undefined;
    };

/** Options of the `file` discovery source. */
export interface FileDiscoveryOptions {
  /**
   * JSON or YAML file mapping service names to endpoint lists (like `static`); relative to the
   * config file. Watched: a change is applied, a broken file keeps the last good endpoints.
   */
  path: string;
}

/** Options of the `dns` discovery source. */
export interface DnsDiscoveryOptions {
  /** Services this resolver serves; default: every service under `services:` that no earlier source serves. */
  services?: string[] | undefined;
  /**
   * DNS name template, e.g. `{service}.default.svc.cluster.local`; must contain `{service}`.
   * @default '{service}'
   */
  name?: string | undefined;
  /**
   * Resolve SRV records (port and weight from DNS) instead of A/AAAA.
   * @default false
   */
  srv?: boolean | undefined;
  /**
   * Port for A/AAAA answers, 1 to 65535.
   * @default 80
   */
  port?: number | undefined;
  /**
   * Address family: 4, 6 or 0 (both).
   * @default 0
   */
  family?: 4 | 6 | 0 | undefined;
  /** DNS servers (ip or ip:port); default: the system resolver. */
  servers?: string[] | undefined;
  /**
   * Lower bound on the TTL honoured.
   * @default '5s'
   */
  minTtl?: Duration | undefined;
  /**
   * Upper bound on the TTL honoured.
   * @default '5m'
   */
  maxTtl?: Duration | undefined;
  /**
   * Re-resolve interval where DNS gives no TTL (SRV).
   * @default '30s'
   */
  refresh?: Duration | undefined;
  /** Labels given to every endpoint this resolver finds. */
  labels?: Labels | undefined;
}

// ---------------------------------------------------------------------------------------------
// policies

/** The policies a service has, and that `defaults:` sets for every service. */
export interface PolicyConfig {
  /**
   * A policy name (peak-ewma, round-robin, least-request, ring-hash) or `{ policy, ...options }`.
   * @default 'peak-ewma'
   */
  loadBalancer?: LoadBalancerConfig | undefined;
  /** Overall timeout of a call, retries included; none by default. */
  timeout?: Duration | undefined;
  /**
   * Retry policy. A request that may have reached the endpoint is retried only when repeating it
   * is safe: an idempotent method, or an Idempotency-Key header.
   */
  retries?: RetriesConfig | undefined;
  /** A circuit breaker per endpoint (Finagle failure accrual); `false` turns it off. */
  circuitBreaker?: CircuitBreakerConfig | false | undefined;
  /**
   * Passive health checking (Istio, Envoy): endpoints that keep failing are ejected for a while;
   * `false` turns it off.
   */
  outlierDetection?: OutlierDetectionConfig | false | undefined;
  /** Active health checking: each endpoint is probed; unhealthy ones get no traffic. Off unless set. */
  healthCheck?: HealthCheckConfig | undefined;
  /** Connection pool to each endpoint. */
  connections?: ConnectionsConfig | undefined;
}

/**
 * Policies every service inherits unless it sets its own (route, then service, then these, then
 * the built-in defaults).
 */
export type DefaultsConfig = PolicyConfig;

/**
 * A load-balancing policy: its name (peak-ewma, round-robin, least-request, ring-hash, or a
 * balancer registered through `createMesh({ balancers })`), or `{ policy, ...options }`.
 */
export type LoadBalancerConfig = string | LoadBalancerOptions;

/**
 * `{ policy, ...options }`. The options are checked against the named balancer when the config
 * is loaded, so a custom balancer's options are accepted here as any other key.
 */
export interface LoadBalancerOptions {
  /**
   * The policy: peak-ewma, round-robin, least-request, ring-hash, or a custom balancer's name.
   * Required in this form: a block without it is refused when the config is loaded. (Optional in
   * the type only because the schema checks it in its second pass.)
   */
  policy?: string | undefined;
  /**
   * When fewer than this percent of endpoints are healthy, ignore health and use them all; 0 to 100.
   * @default 50
   */
  panicThreshold?: number | undefined;
  /**
   * ring-hash: what keys the ring, `{ header: NAME }` or `{ cookie: NAME }`. Requests without it
   * go to a random endpoint.
   */
  hashOn?: { header: string } | { cookie: string } | undefined;
  /**
   * ring-hash: virtual nodes on the ring, 16 to 65536.
   * @default 1024
   */
  ringSize?: number | undefined;
  /**
   * peak-ewma: how fast old latency observations fade.
   * @default '10s'
   */
  decay?: Duration | undefined;
  /**
   * peak-ewma: latency assumed for an endpoint not measured yet.
   * @default '30ms'
   */
  defaultRtt?: Duration | undefined;
  /** Options of a custom balancer. */
  [option: string]: unknown;
}

/** What a retry policy retries on. */
export type RetryCondition = 'connect-failure' | 'refused-stream' | 'reset' | 'timeout' | '5xx' | 'gateway-error';

/**
 * Retry policy. A request that may have reached the endpoint is retried only when repeating it is
 * safe: an idempotent method, or an Idempotency-Key header.
 */
export interface RetriesConfig {
  /**
   * Attempts in all, the first included (1 disables retries); 1 to 5.
   * @default 2
   */
  attempts?: number | undefined;
  /** Time an attempt may take until its response headers; then the next try. None by default. */
  perTryTimeout?: Duration | undefined;
  /**
   * What is retried: connect-failure, refused-stream, reset, timeout (per try), 5xx,
   * gateway-error (502/503/504), or HTTP status codes (100 to 599).
   * @default ['connect-failure', 'refused-stream']
   */
  on?: (RetryCondition | number)[] | undefined;
  /** Exponential back-off between attempts. */
  backoff?: BackoffConfig | undefined;
  /**
   * Longest Retry-After honoured; a longer one returns the response instead.
   * @default '5s'
   */
  maxRetryAfter?: Duration | undefined;
  /**
   * Retry budget (Linkerd, Finagle): a retry is sent only while retries stay within it. One per
   * service: set it on the service or under `defaults`, not on a route.
   */
  budget?: BudgetConfig | undefined;
}

/** Exponential back-off between attempts. */
export interface BackoffConfig {
  /**
   * First back-off; doubles with each retry, ±20% jitter.
   * @default '25ms'
   */
  base?: Duration | undefined;
  /**
   * Longest back-off.
   * @default '250ms'
   */
  max?: Duration | undefined;
}

/**
 * Retry budget (Linkerd, Finagle): a retry is sent only while retries stay within it. One per
 * service: set it on the service or under `defaults`, not on a route.
 */
export interface BudgetConfig {
  /**
   * Retries allowed as a share of recent requests, 0 to 1.
   * @default 0.2
   */
  ratio?: number | undefined;
  /**
   * Retries allowed per second whatever the ratio, 0 to 100,000.
   * @default 10
   */
  minRetriesPerSecond?: number | undefined;
  /**
   * How long a request counts toward the budget.
   * @default '10s'
   */
  ttl?: Duration | undefined;
}

/** A circuit breaker per endpoint (Finagle failure accrual). */
export interface CircuitBreakerConfig {
  /**
   * Open an endpoint circuit when its error percentage exceeds this; 1 to 100.
   * @default 20
   */
  errorThresholdPercentage?: number | undefined;
  /**
   * Requests needed in the window before the circuit may open; 1 to 1,000,000.
   * @default 5
   */
  volumeThreshold?: number | undefined;
  /**
   * Rolling window of the error percentage.
   * @default '30s'
   */
  window?: Duration | undefined;
  /**
   * Time open before one probe request is let through.
   * @default '5s'
   */
  resetTimeout?: Duration | undefined;
}

/** Passive health checking (Istio, Envoy): endpoints that keep failing are ejected for a while. */
export interface OutlierDetectionConfig {
  /**
   * Eject after this many 5xx responses in a row (0 disables); 0 to 1,000,000.
   * @default 5
   */
  consecutive5xxErrors?: number | undefined;
  /**
   * Eject after this many gateway errors (502/503/504, connect failures, resets, timeouts) in a
   * row (0 disables); 0 to 1,000,000.
   * @default 5
   */
  consecutiveGatewayErrors?: number | undefined;
  /**
   * An ejection count decays by one per interval without ejection.
   * @default '10s'
   */
  interval?: Duration | undefined;
  /**
   * Ejection time is this times the ejection count.
   * @default '30s'
   */
  baseEjectionTime?: Duration | undefined;
  /**
   * Longest ejection.
   * @default '300s'
   */
  maxEjectionTime?: Duration | undefined;
  /**
   * Most endpoints ejected at once, in percent (at least one may be; never all); 0 to 100.
   * @default 10
   */
  maxEjectionPercent?: number | undefined;
}

/** Active health checking: each endpoint is probed; unhealthy ones get no traffic. */
export interface HealthCheckConfig {
  /** Path probed with GET (starts with `/`); 2xx is healthy. */
  path: string;
  /**
   * Time between probes of one endpoint.
   * @default '10s'
   */
  interval?: Duration | undefined;
  /**
   * A probe slower than this fails.
   * @default '1s'
   */
  timeout?: Duration | undefined;
  /**
   * Passing probes in a row to become healthy; 1 to 100.
   * @default 1
   */
  healthyThreshold?: number | undefined;
  /**
   * Failing probes in a row to become unhealthy; 1 to 100.
   * @default 2
   */
  unhealthyThreshold?: number | undefined;
}

/** Connection pool to each endpoint. */
export interface ConnectionsConfig {
  /**
   * Most connections to one endpoint; 1 to 100,000.
   * @default 64
   */
  maxPerEndpoint?: number | undefined;
  /**
   * Time to establish a connection.
   * @default '5s'
   */
  connectTimeout?: Duration | undefined;
  /**
   * Idle time before a kept-alive connection is closed.
   * @default '4s'
   */
  keepAliveTimeout?: Duration | undefined;
}

// ---------------------------------------------------------------------------------------------
// services and routes

/** Policies of one service, by logical name (the URL host). */
export interface ServiceConfig extends PolicyConfig {
  /** Call this service over mTLS, checking its SPIFFE ID (default: true when identity.tls is set). */
  mtls?: boolean | undefined;
  /**
   * SPIFFE ID the service's servers must present (`spiffe://...`); default:
   * identity.serviceIdentity with `{service}` filled in.
   */
  identity?: string | undefined;
  /**
   * Protocol to the endpoints.
   * @default 'http'
   */
  protocol?: 'http' | 'https' | undefined;
  /** Named label selectors, e.g. `v2: { version: v2 }`; routes send to them by name. */
  subsets?: Record<string, Labels> | undefined;
  /** Routes, first match wins; unmatched requests go to every endpoint. */
  routes?: RouteConfig[] | undefined;
}

/** A route: requests that match go to its destinations with its policies. */
export interface RouteConfig {
  /** Name used in metrics and logs; default: route-0, route-1, ... by position. */
  name?: string | undefined;
  /**
   * What a request must have for the route to apply; every condition given must hold. Omitted:
   * every request.
   */
  match?: RouteMatchConfig | undefined;
  /**
   * Destinations of the route, picked by weight (at least one); omitted: every endpoint of the
   * service.
   */
  to?: RouteDestination[] | undefined;
  /** Overall timeout of a call on this route, retries included; default: the service's. */
  timeout?: Duration | undefined;
  /** Retry policy of the route; default: the service's. */
  retries?: RetriesConfig | undefined;
  /** Send a copy of each request (fire and forget; its response is discarded). */
  mirror?: MirrorConfig | undefined;
  /** Fault injection, for testing how callers cope. */
  fault?: FaultConfig | undefined;
}

/**
 * What a request must have for a route to apply; every condition given must hold. Omitted: every
 * request.
 */
export interface RouteMatchConfig {
  /** Path to match: `"/x"` exact, `"/x/*"` prefix, or `{ exact | prefix | regex }`. */
  path?: PathMatch | undefined;
  /** HTTP methods matched (case-insensitive). */
  methods?: string[] | undefined;
  /**
   * Request headers matched (names are case-insensitive): a string for an exact value, or
   * `{ exact | prefix | regex | present }`.
   */
  headers?: Record<string, StringMatch> | undefined;
  /** Query parameters matched: a string for an exact value, or `{ exact | prefix | regex | present }`. */
  query?: Record<string, StringMatch> | undefined;
}

/**
 * A header or query value to match: a string for an exact value, or exactly one of
 * `{ exact }`, `{ prefix }`, `{ regex }` (JavaScript syntax), `{ present }` (true: present with any
 * value; false: absent).
 */
export type StringMatch = string | { exact: string } | { prefix: string } | { regex: string } | { present: boolean };

/**
 * A path to match: `"/x"` exact, `"/x/*"` prefix, or exactly one of `{ exact }`, `{ prefix }`,
 * `{ regex }` (JavaScript syntax).
 */
export type PathMatch = string | { exact: string } | { prefix: string } | { regex: string };

/** A destination of a route. */
export interface RouteDestination {
  /** Subset name (see `subsets`); omitted: every endpoint. */
  subset?: string | undefined;
  /**
   * Relative weight of this destination, 0 to 1,000,000.
   * @default 1
   */
  weight?: number | undefined;
}

/** Send a copy of each request (fire and forget; its response is discarded). */
export interface MirrorConfig {
  /** Service that receives the copy; default: the same service. */
  service?: string | undefined;
  /** Subset of that service; omitted: every endpoint. */
  subset?: string | undefined;
  /**
   * Share of requests mirrored, 0 to 100.
   * @default 100
   */
  percent?: number | undefined;
}

/** Fault injection, for testing how callers cope. */
export interface FaultConfig {
  /** Delay some requests. */
  delay?:
    | {
        /** Delay added before the call. */
        fixedDelay: Duration;
        /**
         * Share of requests delayed, 0 to 100.
         * @default 100
         */
        percent?: number | undefined;
      }
    | undefined;
  /** Fail some requests without calling the service. */
  abort?:
    | {
        /** Status answered instead of calling the service, 200 to 599. */
        httpStatus: number;
        /**
         * Share of requests aborted, 0 to 100.
         * @default 100
         */
        percent?: number | undefined;
      }
    | undefined;
}

// ---------------------------------------------------------------------------------------------
// process-wide blocks

/** Requests this process sends. */
export interface OutboundConfig {
  /**
   * Send requests to hosts that are not mesh services straight out; false refuses them
   * (ERR_NO_SERVICE).
   * @default true
   */
  passthrough?: boolean | undefined;
  /**
   * Largest request body kept so the request can be retried.
   * @default '64KiB'
   */
  replayBodyLimit?: Size | undefined;
}

/** Who this workload is, and how peers prove who they are (mTLS with SPIFFE IDs). */
export interface IdentityConfig {
  /** SPIFFE trust domain of the mesh, e.g. `example.org` (lower-case letters, digits, `.`, `-`, `_`). */
  trustDomain: string;
  /**
   * This workload's TLS material; the files are watched and rotate without a restart
   * (`inmesh ca` makes development ones).
   */
  tls?: IdentityTlsConfig | undefined;
  /**
   * Template of the SPIFFE ID a service presents; `{trustDomain}` and `{service}` are filled in.
   * @default 'spiffe://{trustDomain}/sa/{service}'
   */
  serviceIdentity?: string | undefined;
}

/** This workload's TLS files, relative to the config file. */
export interface IdentityTlsConfig {
  /** PEM bundle of the mesh CA(s) that sign peers. */
  ca: string;
  /** PEM certificate of this workload: an X509-SVID of the trust domain. */
  cert: string;
  /** PEM private key of the certificate. */
  key: string;
}

/** Requests this service receives (mesh.createServer, mesh.middleware, the Fastify plugin). */
export interface InboundConfig {
  /**
   * strict: mTLS only; permissive: mTLS and plaintext on one port; off: plaintext. Default:
   * strict when identity.tls is set, else off.
   */
  mtls?: 'strict' | 'permissive' | 'off' | undefined;
  /** Authorization policies (Istio semantics: DENY wins; once an ALLOW exists, the rest is denied). */
  authorization?: AuthorizationPolicyConfig[] | undefined;
  /** Token-bucket rate limit of the requests admitted. */
  rateLimit?:
    | {
        /** Requests admitted per second (token bucket), 0.001 to 1,000,000. */
        requestsPerSecond: number;
        /** Largest burst, 1 to 10,000,000; default: one second of requests. */
        burst?: number | undefined;
      }
    | undefined;
  /** Most requests in progress (1 to 10,000,000); more are shed with 503 + Retry-After. */
  concurrencyLimit?: number | undefined;
  /** Limits on receiving a request. */
  timeouts?:
    | {
        /**
         * Time to receive request headers.
         * @default '5s'
         */
        headers?: Duration | undefined;
        /**
         * Time to receive the whole request.
         * @default '30s'
         */
        request?: Duration | undefined;
        /**
         * Idle time before a keep-alive connection is closed.
         * @default '5s'
         */
        keepAlive?: Duration | undefined;
      }
    | undefined;
  /** Graceful shutdown. */
  drain?:
    | {
        /**
         * Longest wait for requests in progress when draining.
         * @default '20s'
         */
        timeout?: Duration | undefined;
        /**
         * Readiness is false this long before the listener closes.
         * @default '0s'
         */
        delay?: Duration | undefined;
        /**
         * Signals that drain the servers and close the mesh (`[]` to handle none).
         * @default ['SIGTERM']
         */
        signals?: ('SIGTERM' | 'SIGINT' | 'SIGHUP')[] | undefined;
      }
    | undefined;
  /**
   * Answer /healthz and /readyz on the service port.
   * @default true
   */
  healthPaths?: boolean | undefined;
}

/** An inbound authorization policy. */
export interface AuthorizationPolicyConfig {
  /** Name used in logs and metrics; default: its index. */
  name?: string | undefined;
  /**
   * ALLOW or DENY what matches; DENY wins.
   * @default 'allow'
   */
  action?: 'allow' | 'deny' | undefined;
  /**
   * Peer SPIFFE IDs: exact, prefix ending in `*`, or `"*"` (any authenticated peer). Omitted: any
   * peer, even plaintext.
   */
  from?: string[] | undefined;
  /** HTTP methods (case-insensitive). */
  methods?: string[] | undefined;
  /** Paths (normalised, starting with `/`): exact, prefix ending in `*`, or `*`. */
  paths?: string[] | undefined;
  /** Header values: exact, or `*` for present. */
  headers?: Record<string, string> | undefined;
  /**
   * Log and count what this policy would deny, without denying.
   * @default false
   */
  dryRun?: boolean | undefined;
}

/** Traces, metrics and access logs. */
export interface TelemetryConfig {
  /** Tracing through @opentelemetry/api. */
  tracing?:
    | {
        /**
         * Create spans through @opentelemetry/api (no-op without an SDK).
         * @default true
         */
        enabled?: boolean | undefined;
      }
    | undefined;
  /** Prometheus metrics. */
  metrics?:
    | {
        /**
         * Record Prometheus metrics (mesh.metrics, /metrics).
         * @default true
         */
        enabled?: boolean | undefined;
      }
    | undefined;
  /** Access logs; on when this block is present. */
  accessLog?: AccessLogConfig | undefined;
}

/** Access logs; on when the block is present. */
export interface AccessLogConfig {
  /**
   * Write access logs (on when this block is present).
   * @default true
   */
  enabled?: boolean | undefined;
  /**
   * stdout, stderr, or a file path (appended; relative to the config file).
   * @default 'stdout'
   */
  output?: string | undefined;
  /**
   * Share of requests logged, 0 to 1; failures are always logged.
   * @default 1
   */
  sample?: number | undefined;
  /**
   * Which requests are logged.
   * @default ['inbound', 'outbound']
   */
  directions?: ('inbound' | 'outbound')[] | undefined;
}

/** The admin server (mesh.admin.listen): /metrics, /healthz, /readyz, /config, /endpoints, /routes, /dashboard. */
export interface AdminConfig {
  /**
   * Address the admin server binds to.
   * @default '127.0.0.1'
   */
  host?: string | undefined;
  /** Bearer token required by the admin server, at least 16 characters (redacted in /config). */
  token?: string | undefined;
}
