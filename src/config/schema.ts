// config: the one schema of the config file. It gives the TypeScript types, runtime validation,
// schema/inmesh.schema.json and docs/config.md.
//
// Policy fields are optional with no valibot default: compile.ts resolves each as
// route ?? service ?? `defaults:` ?? DEFAULTS, so a `defaults:` block can change what a service
// inherits. The built-in default is attached as metadata, which is what the docs and editors show.
import * as v from 'valibot';
import { DEFAULTS } from './defaults.js';
import { isDuration, isSize, parseDuration, parseSize } from './units.js';

/** A strict object whose unknown-key message lists the keys it does accept. */
export function strict<const E extends v.ObjectEntries>(entries: E) {
  const known = Object.keys(entries);
  return v.strictObject(entries, (issue) =>
    issue.expected === 'never'
      ? `unknown key ${issue.received}; expected one of: ${known.join(', ')}`
      : `expected an object with keys ${known.join(', ')}, got ${issue.received}`,
  );
}

function described<S extends v.GenericSchema>(schema: S, description: string, fallback?: unknown) {
  return fallback === undefined
    ? v.pipe(schema, v.description(description))
    : v.pipe(schema, v.description(description), v.metadata({ default: fallback }));
}

/** A duration string (`250ms`, `2s`, `1m`, `1h`), parsed to milliseconds. */
export function duration(description: string, fallback?: string) {
  return described(
    v.pipe(
      v.string('expected a duration string such as 250ms or 2s'),
      v.check(isDuration, (issue) => `expected a duration such as 250ms, 2s, 1m or 1h, got ${issue.received}`),
      v.transform(parseDuration),
    ),
    description,
    fallback,
  );
}

/** A size (`64KiB`, `1MiB`) or a number of bytes, parsed to bytes. */
export function size(description: string, fallback?: string) {
  return described(
    v.union(
      [
        v.pipe(v.number(), v.integer(), v.minValue(0)),
        v.pipe(
          v.string(),
          v.check(isSize, (issue) => `expected a size such as 64KiB or 1MiB, got ${issue.received}`),
          v.transform(parseSize),
        ),
      ],
      'expected a size such as 64KiB, 1MiB or a number of bytes',
    ),
    description,
    fallback,
  );
}

function integer(description: string, min: number, max: number, fallback?: number) {
  return described(
    v.pipe(
      v.number(`expected an integer from ${min} to ${max}`),
      v.integer(`expected an integer from ${min} to ${max}`),
      v.minValue(min, `expected an integer from ${min} to ${max}`),
      v.maxValue(max, `expected an integer from ${min} to ${max}`),
    ),
    description,
    fallback,
  );
}

function number(description: string, min: number, max: number, fallback?: number) {
  return described(
    v.pipe(
      v.number(`expected a number from ${min} to ${max}`),
      v.minValue(min, `expected a number from ${min} to ${max}`),
      v.maxValue(max, `expected a number from ${min} to ${max}`),
    ),
    description,
    fallback,
  );
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9._]*[A-Za-z0-9])?$/;
const serviceName = v.pipe(
  v.string(),
  v.regex(NAME, (issue) => `expected a service name (letters, digits, - . _), got ${issue.received}`),
);

const labels = described(
  v.record(v.string(), v.string('label values are strings; quote numbers')),
  'Labels of the endpoint (version, zone, ...), matched by subsets.',
);

// ---------------------------------------------------------------------------------------------
// discovery

const hostPort = v.pipe(
  v.string(),
  v.regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):\d{1,5}$/, (issue) => `expected host:port (e.g. 127.0.0.1:9001), got ${issue.received}`),
);

/** One endpoint: `host:port`, or an object with labels and a weight. */
export const endpointSchema = v.union(
  [
    hostPort,
    strict({
      address: described(hostPort, 'host:port of the endpoint.'),
      labels: v.optional(labels),
      weight: v.optional(integer('Relative share of traffic for this endpoint.', 1, 1_000_000, 1)),
    }),
  ],
  'expected host:port or { address, labels, weight }',
);

export const staticResolverSchema = described(
  v.record(serviceName, v.array(endpointSchema)),
  'Endpoints written in the config, by service name.',
);

export const fileResolverSchema = strict({
  path: described(v.pipe(v.string(), v.minLength(1)), 'JSON or YAML file mapping service names to endpoint lists; watched.'),
});

export const dnsResolverSchema = strict({
  services: v.optional(
    described(
      v.array(serviceName),
      'Services this resolver serves; default: every service under `services:` that no earlier source serves.',
    ),
  ),
  name: v.optional(
    described(
      v.pipe(v.string(), v.includes('{service}', 'the name template must contain {service}')),
      'DNS name template, e.g. {service}.default.svc.cluster.local.',
      '{service}',
    ),
  ),
  srv: v.optional(
    described(v.boolean(), 'Resolve SRV records (port and weight from DNS) instead of A/AAAA.', false),
  ),
  port: v.optional(integer('Port for A/AAAA answers.', 1, 65535, DEFAULTS.dns.port)),
  family: v.optional(described(v.picklist([4, 6, 0]), 'Address family: 4, 6 or 0 (both).', 0)),
  servers: v.optional(described(v.array(v.string()), 'DNS servers (ip or ip:port); default: the system resolver.')),
  minTtl: v.optional(duration('Lower bound on the TTL honoured.', DEFAULTS.dns.minTtl)),
  maxTtl: v.optional(duration('Upper bound on the TTL honoured.', DEFAULTS.dns.maxTtl)),
  refresh: v.optional(duration('Re-resolve interval where DNS gives no TTL (SRV).', DEFAULTS.dns.refresh)),
  labels: v.optional(labels),
});

// ---------------------------------------------------------------------------------------------
// load balancing

export const ringHashOptionsSchema = {
  hashOn: v.optional(
    described(
      v.union([strict({ header: v.string() }), strict({ cookie: v.string() })], 'expected { header: NAME } or { cookie: NAME }'),
      'What keys the ring: a request header or a cookie. Requests without it go to a random endpoint.',
    ),
  ),
  ringSize: v.optional(integer('Virtual nodes on the ring.', 16, 65536, DEFAULTS.loadBalancer.ringSize)),
};

export const peakEwmaOptionsSchema = {
  decay: v.optional(duration('How fast old latency observations fade.', DEFAULTS.loadBalancer.decay)),
  defaultRtt: v.optional(duration('Latency assumed for an endpoint not measured yet.', DEFAULTS.loadBalancer.defaultRtt)),
};

/** Options shared by every balancer: the panic threshold. */
export const commonBalancerOptions = {
  panicThreshold: v.optional(
    integer(
      'When fewer than this percent of endpoints are healthy, ignore health and use them all.',
      0,
      100,
      DEFAULTS.loadBalancer.panicThreshold,
    ),
  ),
};

// ---------------------------------------------------------------------------------------------
// policies

export const RETRY_CONDITIONS = ['connect-failure', 'refused-stream', 'reset', 'timeout', '5xx', 'gateway-error'] as const;

export const budgetSchema = strict({
  ratio: v.optional(number('Retries allowed as a share of recent requests.', 0, 1, DEFAULTS.budget.ratio)),
  minRetriesPerSecond: v.optional(
    integer('Retries allowed per second whatever the ratio.', 0, 100_000, DEFAULTS.budget.minRetriesPerSecond),
  ),
  ttl: v.optional(duration('How long a request counts toward the budget.', DEFAULTS.budget.ttl)),
});

export const retriesSchema = strict({
  attempts: v.optional(integer('Attempts in all, the first included (1 disables retries).', 1, 5, DEFAULTS.retries.attempts)),
  perTryTimeout: v.optional(duration('Time an attempt may take until its response headers; then the next try.')),
  on: v.optional(
    described(
      v.array(
        v.union(
          [v.picklist(RETRY_CONDITIONS), v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(599))],
          `expected one of ${RETRY_CONDITIONS.join(', ')} or an HTTP status code`,
        ),
      ),
      'What is retried: connect-failure, refused-stream, reset, timeout (per try), 5xx, gateway-error (502/503/504), or status codes.',
      DEFAULTS.retries.on,
    ),
  ),
  backoff: v.optional(
    strict({
      base: v.optional(duration('First back-off; doubles with each retry, ±20% jitter.', DEFAULTS.retries.backoffBase)),
      max: v.optional(duration('Longest back-off.', DEFAULTS.retries.backoffMax)),
    }),
  ),
  maxRetryAfter: v.optional(
    duration('Longest Retry-After honoured; a longer one returns the response instead.', DEFAULTS.retries.maxRetryAfter),
  ),
  budget: v.optional(budgetSchema),
});

export const circuitBreakerSchema = v.union(
  [
    v.literal(false),
    strict({
      errorThresholdPercentage: v.optional(
        integer('Open an endpoint circuit when its error percentage exceeds this.', 1, 100, DEFAULTS.circuitBreaker.errorThresholdPercentage),
      ),
      volumeThreshold: v.optional(
        integer('Requests needed in the window before the circuit may open.', 1, 1_000_000, DEFAULTS.circuitBreaker.volumeThreshold),
      ),
      window: v.optional(duration('Rolling window of the error percentage.', DEFAULTS.circuitBreaker.window)),
      resetTimeout: v.optional(duration('Time open before one probe request is let through.', DEFAULTS.circuitBreaker.resetTimeout)),
    }),
  ],
  'expected false or a circuitBreaker object',
);

export const outlierDetectionSchema = v.union(
  [
    v.literal(false),
    strict({
      consecutive5xxErrors: v.optional(
        integer('Eject after this many 5xx responses in a row (0 disables).', 0, 1_000_000, DEFAULTS.outlierDetection.consecutive5xxErrors),
      ),
      consecutiveGatewayErrors: v.optional(
        integer(
          'Eject after this many gateway errors (502/503/504, connect failures, resets, timeouts) in a row (0 disables).',
          0,
          1_000_000,
          DEFAULTS.outlierDetection.consecutiveGatewayErrors,
        ),
      ),
      interval: v.optional(duration('An ejection count decays by one per interval without ejection.', DEFAULTS.outlierDetection.interval)),
      baseEjectionTime: v.optional(duration('Ejection time is this times the ejection count.', DEFAULTS.outlierDetection.baseEjectionTime)),
      maxEjectionTime: v.optional(duration('Longest ejection.', DEFAULTS.outlierDetection.maxEjectionTime)),
      maxEjectionPercent: v.optional(
        integer('Most endpoints ejected at once, in percent (at least one may be; never all).', 0, 100, DEFAULTS.outlierDetection.maxEjectionPercent),
      ),
    }),
  ],
  'expected false or an outlierDetection object',
);

export const healthCheckSchema = strict({
  path: described(v.pipe(v.string(), v.startsWith('/', 'the health check path starts with /')), 'Path probed with GET; 2xx is healthy.'),
  interval: v.optional(duration('Time between probes of one endpoint.', DEFAULTS.healthCheck.interval)),
  timeout: v.optional(duration('A probe slower than this fails.', DEFAULTS.healthCheck.timeout)),
  healthyThreshold: v.optional(integer('Passing probes in a row to become healthy.', 1, 100, DEFAULTS.healthCheck.healthyThreshold)),
  unhealthyThreshold: v.optional(integer('Failing probes in a row to become unhealthy.', 1, 100, DEFAULTS.healthCheck.unhealthyThreshold)),
});

export const connectionsSchema = strict({
  maxPerEndpoint: v.optional(integer('Most connections to one endpoint.', 1, 100_000, DEFAULTS.connections.maxPerEndpoint)),
  connectTimeout: v.optional(duration('Time to establish a connection.', DEFAULTS.connections.connectTimeout)),
  keepAliveTimeout: v.optional(duration('Idle time before a kept-alive connection is closed.', DEFAULTS.connections.keepAliveTimeout)),
});

// ---------------------------------------------------------------------------------------------
// routing

const stringMatch = v.union(
  [
    v.string(),
    strict({ exact: v.string() }),
    strict({ prefix: v.string() }),
    strict({ regex: v.string() }),
    strict({ present: v.boolean() }),
  ],
  'expected a string (exact) or one of { exact }, { prefix }, { regex }, { present }',
);

const pathMatch = described(
  v.union(
    [
      v.pipe(v.string(), v.startsWith('/', 'paths start with /')),
      strict({ exact: v.string() }),
      strict({ prefix: v.string() }),
      strict({ regex: v.string() }),
    ],
    'expected a path ("/x" exact, "/x/*" prefix) or one of { exact }, { prefix }, { regex }',
  ),
  'Path to match: "/x" exact, "/x/*" prefix, or { exact | prefix | regex }.',
);

export const routeMatchSchema = strict({
  path: v.optional(pathMatch),
  methods: v.optional(described(v.array(v.pipe(v.string(), v.toUpperCase())), 'HTTP methods matched.')),
  headers: v.optional(described(v.record(v.string(), stringMatch), 'Request headers matched (names are case-insensitive).')),
  query: v.optional(described(v.record(v.string(), stringMatch), 'Query parameters matched.')),
});

const percent = (description: string) => v.optional(number(description, 0, 100, 100));

export const routeSchema = strict({
  name: v.optional(described(v.string(), 'Name used in metrics and logs; default: its index.')),
  match: v.optional(routeMatchSchema),
  to: v.optional(
    described(
      v.pipe(
        v.array(
          strict({
            subset: v.optional(described(v.string(), 'Subset name (see `subsets`); omitted: every endpoint.')),
            weight: v.optional(integer('Relative weight of this destination.', 0, 1_000_000, 1)),
          }),
        ),
        v.minLength(1, 'a route needs at least one destination'),
      ),
      'Destinations of the route, picked by weight.',
    ),
  ),
  timeout: v.optional(duration('Overall timeout of a call on this route, retries included.')),
  retries: v.optional(retriesSchema),
  mirror: v.optional(
    strict({
      service: v.optional(described(serviceName, 'Service that receives the copy; default: the same service.')),
      subset: v.optional(v.string()),
      percent: percent('Share of requests mirrored.'),
    }),
  ),
  fault: v.optional(
    strict({
      delay: v.optional(strict({ fixedDelay: duration('Delay added before the call.'), percent: percent('Share of requests delayed.') })),
      abort: v.optional(
        strict({
          httpStatus: integer('Status answered instead of calling the service.', 200, 599),
          percent: percent('Share of requests aborted.'),
        }),
      ),
    }),
  ),
});

// ---------------------------------------------------------------------------------------------
// services

const policyEntries = {
  loadBalancer: v.optional(
    described(
      v.union([v.string(), v.record(v.string(), v.unknown())]),
      'A policy name (peak-ewma, round-robin, least-request, ring-hash) or { policy, ...options }.',
      DEFAULTS.loadBalancer.policy,
    ),
  ),
  timeout: v.optional(duration('Overall timeout of a call, retries included; none by default.')),
  retries: v.optional(retriesSchema),
  circuitBreaker: v.optional(circuitBreakerSchema),
  outlierDetection: v.optional(outlierDetectionSchema),
  healthCheck: v.optional(healthCheckSchema),
  connections: v.optional(connectionsSchema),
};

export const defaultsSchema = strict(policyEntries);

export const serviceSchema = strict({
  ...policyEntries,
  protocol: v.optional(described(v.picklist(['http', 'https']), 'Protocol to the endpoints.', 'http')),
  subsets: v.optional(described(v.record(v.string(), v.record(v.string(), v.string())), 'Named label selectors, e.g. v2: { version: v2 }.')),
  routes: v.optional(described(v.array(routeSchema), 'Routes, first match wins; unmatched requests go to every endpoint.')),
});

export const outboundSchema = strict({
  passthrough: v.optional(
    described(v.boolean(), 'Send requests to hosts that are not mesh services straight out; false refuses them.', DEFAULTS.outbound.passthrough),
  ),
  replayBodyLimit: v.optional(size('Largest request body kept so the request can be retried.', DEFAULTS.outbound.replayBodyLimit)),
});

/**
 * The root schema. Discovery entries and balancer options are checked a second time against the
 * registered resolvers and balancers (validate.ts), so custom ones are validated like built-ins.
 */
export const configSchema = strict({
  $schema: v.optional(v.string()),
  service: v.optional(described(serviceName, 'Name of this service (telemetry, identity).')),
  discovery: v.optional(
    described(
      v.array(v.record(v.string(), v.unknown())),
      'Discovery sources, in order: the first that knows a service serves it. Each is { static | file | dns: options }.',
    ),
  ),
  outbound: v.optional(outboundSchema),
  defaults: v.optional(defaultsSchema),
  services: v.optional(described(v.record(serviceName, serviceSchema), 'Policies per service, by logical name (the URL host).')),
});

/** The config file as a user writes it (durations as strings). */
export type MeshConfigInput = v.InferInput<typeof configSchema>;
/** The config after validation (durations in milliseconds). */
export type ParsedConfig = v.InferOutput<typeof configSchema>;
export type ParsedService = v.InferOutput<typeof serviceSchema>;
export type ParsedRoute = v.InferOutput<typeof routeSchema>;
export type ParsedRetries = v.InferOutput<typeof retriesSchema>;
export type ParsedEndpoint = v.InferOutput<typeof endpointSchema>;
