// config: the one schema of the config file. It gives the TypeScript types, runtime validation,
// schema/inmesh.schema.json and docs/config.md.
//
// Policy fields are optional with no valibot default: compile.ts resolves each as
// route ?? service ?? `defaults:` ?? DEFAULTS, so a `defaults:` block can change what a service
// inherits. The built-in default is attached as metadata, which is what the docs and editors show.
import * as v from 'valibot';
import { DEFAULTS } from './defaults.js';
import { DURATION_PATTERN, parseDuration, parseSize, SIZE_PATTERN } from './units.js';

/** A strict object whose unknown-key message lists the keys it does accept. */
export function strict<const E extends v.ObjectEntries>(entries: E) {
  const known = Object.keys(entries);
  return v.strictObject(entries, (issue) => {
    if (issue.expected === 'never') return `unknown key ${issue.received}; expected one of: ${known.join(', ')}`;
    // A required key is missing: the issue's path ends at the key, and it has no input.
    if (issue.path?.at(-1)?.origin === 'key') return `missing key ${issue.expected}`;
    return `expected an object with keys ${known.join(', ')}, got ${issue.received}`;
  });
}

/**
 * An object with exactly one of the given keys: `{ exact: x }`, `{ prefix: x }`, ... Written as one
 * strict object, not a union of one-key objects, so that a typo gets one "did you mean" over every
 * key, and a bad value one problem instead of one per union branch. Typed as the union it accepts.
 */
function oneKeyOf<const E extends Record<string, v.GenericSchema>>(entries: E, description: string) {
  const keys = Object.keys(entries);
  const optional = Object.fromEntries(keys.map((key) => [key, v.optional(entries[key] as v.GenericSchema)]));
  const schema = v.pipe(
    strict(optional),
    v.entries(1, (issue) => `expected exactly one of ${keys.join(', ')}, got ${issue.received}`),
    v.description(description),
  );
  type In = { [K in keyof E]: { -readonly [P in K]: v.InferInput<E[K]> } }[keyof E];
  type Out = { [K in keyof E]: { -readonly [P in K]: v.InferOutput<E[K]> } }[keyof E];
  return schema as unknown as v.GenericSchema<In, Out>;
}

/** One of a few fixed values. */
function oneOf<const T extends readonly (string | number)[]>(values: T, description: string, fallback?: T[number]) {
  return described(
    v.picklist(values, (issue) => `expected one of ${values.join(', ')}, got ${issue.received}`),
    description,
    fallback,
  );
}

function described<S extends v.GenericSchema>(schema: S, description: string, fallback?: unknown) {
  return fallback === undefined
    ? v.pipe(schema, v.description(description))
    : v.pipe(schema, v.description(description), v.metadata({ default: fallback }));
}

/**
 * A duration string (`250ms`, `2s`, `1m`, `1h`), parsed to milliseconds.
 *
 * Description and default sit before the transform: the JSON Schema generator (typeMode 'input')
 * reads a pipe only up to its first transform, and would drop them after it. The format is a
 * `regex` rather than a `check` so that editors get it as the schema's `pattern`.
 */
export function duration(description: string, fallback?: string) {
  return v.pipe(
    v.string((issue) => `expected a duration string such as 250ms or 2s, got ${issue.received}`),
    v.regex(DURATION_PATTERN, (issue) => `expected a duration such as 250ms, 2s, 1m or 1h, got ${issue.received}`),
    v.description(description),
    v.metadata(fallback === undefined ? {} : { default: fallback }),
    v.transform(parseDuration),
  );
}

/** A size (`64KiB`, `1MiB`) or a number of bytes, parsed to bytes. */
export function size(description: string, fallback?: string) {
  return described(
    v.union(
      [
        v.pipe(
          v.number(),
          v.integer((issue) => `expected a whole number of bytes, got ${issue.received}`),
          v.minValue(0, (issue) => `expected a size of 0 or more bytes, got ${issue.received}`),
        ),
        v.pipe(
          v.string(),
          v.regex(SIZE_PATTERN, (issue) => `expected a size such as 64KiB or 1MiB, got ${issue.received}`),
          v.transform(parseSize),
        ),
      ],
      (issue) => `expected a size such as 64KiB, 1MiB or a number of bytes, got ${issue.received}`,
    ),
    description,
    fallback,
  );
}

function integer(description: string, min: number, max: number, fallback?: number) {
  const expected = (issue: v.BaseIssue<unknown>) => `expected an integer from ${min} to ${max}, got ${issue.received}`;
  return described(
    v.pipe(v.number(expected), v.integer(expected), v.minValue(min, expected), v.maxValue(max, expected)),
    description,
    fallback,
  );
}

function number(description: string, min: number, max: number, fallback?: number) {
  const expected = (issue: v.BaseIssue<unknown>) => `expected a number from ${min} to ${max}, got ${issue.received}`;
  return described(v.pipe(v.number(expected), v.minValue(min, expected), v.maxValue(max, expected)), description, fallback);
}

function bool(description: string, fallback?: boolean) {
  return described(
    v.boolean((issue) => `expected true or false, got ${issue.received}`),
    description,
    fallback,
  );
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9._]*[A-Za-z0-9])?$/;
const serviceName = v.pipe(
  v.string(),
  v.regex(NAME, (issue) => `expected a service name (letters, digits, - . _), got ${issue.received}`),
);

const labelMap = v.record(v.string(), v.string('label values are strings; quote numbers'));
const labels = described(labelMap, 'Labels of the endpoint (version, zone, ...), matched by subsets.');

// ---------------------------------------------------------------------------------------------
// discovery

// The port part admits 1-65535 only: 0 or 99999 would pass a plain \d{1,5} and fail later, uncoded.
const PORT = '([1-9]\\d{0,3}|[1-5]\\d{4}|6[0-4]\\d{3}|65[0-4]\\d{2}|655[0-2]\\d|6553[0-5])';
const hostPort = v.pipe(
  v.string(),
  v.regex(
    new RegExp(`^(\\[[0-9a-fA-F:.]+\\]|[^:\\s[\\]]+):${PORT}$`),
    (issue) => `expected host:port with a port from 1 to 65535 (e.g. 127.0.0.1:9001), got ${issue.received}`,
  ),
);

/** One endpoint: `host:port`, or an object with labels and a weight. */
export const endpointSchema = described(
  v.union(
    [
      hostPort,
      strict({
        address: described(hostPort, 'host:port of the endpoint.'),
        labels: v.optional(labels),
        weight: v.optional(integer('Relative share of traffic for this endpoint.', 1, 1_000_000, 1)),
      }),
    ],
    'expected host:port or { address, labels, weight }',
  ),
  'One endpoint: "host:port", or { address, labels, weight }. Endpoints files (discovery `file:`) list them the same way.',
);

export const staticResolverSchema = described(
  v.record(serviceName, v.array(endpointSchema)),
  'Endpoints written in the config, by service name.',
);

export const fileResolverSchema = described(
  strict({
    path: described(
      v.pipe(v.string(), v.minLength(1, 'the endpoints file path is empty')),
      'JSON or YAML file mapping service names to endpoint lists (like `static`); relative to the config file. Watched: a change is applied, a broken file keeps the last good endpoints.',
    ),
  }),
  'Endpoints read from a file, re-read when it changes.',
);

export const dnsResolverSchema = described(
  strict({
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
    srv: v.optional(bool('Resolve SRV records (port and weight from DNS) instead of A/AAAA.', false)),
    port: v.optional(integer('Port for A/AAAA answers.', 1, 65535, DEFAULTS.dns.port)),
    family: v.optional(oneOf([4, 6, 0], 'Address family: 4, 6 or 0 (both).', 0)),
    servers: v.optional(described(v.array(v.string()), 'DNS servers (ip or ip:port); default: the system resolver.')),
    minTtl: v.optional(duration('Lower bound on the TTL honoured.', DEFAULTS.dns.minTtl)),
    maxTtl: v.optional(duration('Upper bound on the TTL honoured.', DEFAULTS.dns.maxTtl)),
    refresh: v.optional(duration('Re-resolve interval where DNS gives no TTL (SRV).', DEFAULTS.dns.refresh)),
    labels: v.optional(described(labelMap, 'Labels given to every endpoint this resolver finds.')),
  }),
  'Endpoints from DNS: A/AAAA records with a configured port, or SRV records; re-resolved as TTLs expire.',
);

/** One entry of `discovery:`, `{ <kind>: options }`; checked against the registered kinds in validate.ts. */
export const discoverySourceSchema = v.record(v.string(), v.unknown());

// ---------------------------------------------------------------------------------------------
// load balancing

export const ringHashOptionsSchema = {
  hashOn: v.optional(
    oneKeyOf(
      {
        header: described(v.string(), 'Request header whose value keys the ring.'),
        cookie: described(v.string(), 'Cookie whose value keys the ring.'),
      },
      'What keys the ring: { header: NAME } or { cookie: NAME }. Requests without it go to a random endpoint.',
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

/**
 * `loadBalancer:` as the first pass sees it. The policy's own options are checked in validate.ts
 * against the registered balancer, so custom balancers are validated like built-ins.
 */
export const loadBalancerSchema = described(
  v.union(
    [v.string(), v.record(v.string(), v.unknown())],
    (issue) => `expected a load balancer name or { policy, ...options }, got ${issue.received}`,
  ),
  'A policy name (peak-ewma, round-robin, least-request, ring-hash) or { policy, ...options }.',
  DEFAULTS.loadBalancer.policy,
);

// ---------------------------------------------------------------------------------------------
// policies

export const RETRY_CONDITIONS = ['connect-failure', 'refused-stream', 'reset', 'timeout', '5xx', 'gateway-error'] as const;
const retryOnMessage = (issue: v.BaseIssue<unknown>) =>
  `expected one of ${RETRY_CONDITIONS.join(', ')} or an HTTP status code (100-599), got ${issue.received}`;

export const budgetSchema = described(
  strict({
    ratio: v.optional(number('Retries allowed as a share of recent requests.', 0, 1, DEFAULTS.budget.ratio)),
    minRetriesPerSecond: v.optional(
      integer('Retries allowed per second whatever the ratio.', 0, 100_000, DEFAULTS.budget.minRetriesPerSecond),
    ),
    ttl: v.optional(duration('How long a request counts toward the budget.', DEFAULTS.budget.ttl)),
  }),
  'Retry budget (Linkerd, Finagle): a retry is sent only while retries stay within it. One per service: set it on the service or under `defaults`, not on a route.',
);

export const retriesSchema = described(
  strict({
    attempts: v.optional(integer('Attempts in all, the first included (1 disables retries).', 1, 5, DEFAULTS.retries.attempts)),
    perTryTimeout: v.optional(duration('Time an attempt may take until its response headers; then the next try. None by default.')),
    on: v.optional(
      described(
        v.array(
          v.union(
            [
              v.picklist(RETRY_CONDITIONS),
              v.pipe(v.number(), v.integer(retryOnMessage), v.minValue(100, retryOnMessage), v.maxValue(599, retryOnMessage)),
            ],
            retryOnMessage,
          ),
        ),
        'What is retried: connect-failure, refused-stream, reset, timeout (per try), 5xx, gateway-error (502/503/504), or status codes.',
        DEFAULTS.retries.on,
      ),
    ),
    backoff: v.optional(
      described(
        strict({
          base: v.optional(duration('First back-off; doubles with each retry, ±20% jitter.', DEFAULTS.retries.backoffBase)),
          max: v.optional(duration('Longest back-off.', DEFAULTS.retries.backoffMax)),
        }),
        'Exponential back-off between attempts.',
      ),
    ),
    maxRetryAfter: v.optional(
      duration('Longest Retry-After honoured; a longer one returns the response instead.', DEFAULTS.retries.maxRetryAfter),
    ),
    budget: v.optional(budgetSchema),
  }),
  'Retry policy. A request that may have reached the endpoint is retried only when repeating it is safe: an idempotent method, or an Idempotency-Key header.',
);

export const circuitBreakerSchema = described(
  v.union(
    [
      v.literal(false),
      strict({
        errorThresholdPercentage: v.optional(
          integer(
            'Open an endpoint circuit when its error percentage exceeds this.',
            1,
            100,
            DEFAULTS.circuitBreaker.errorThresholdPercentage,
          ),
        ),
        volumeThreshold: v.optional(
          integer('Requests needed in the window before the circuit may open.', 1, 1_000_000, DEFAULTS.circuitBreaker.volumeThreshold),
        ),
        window: v.optional(duration('Rolling window of the error percentage.', DEFAULTS.circuitBreaker.window)),
        resetTimeout: v.optional(duration('Time open before one probe request is let through.', DEFAULTS.circuitBreaker.resetTimeout)),
      }),
    ],
    'expected false or a circuitBreaker object',
  ),
  'A circuit breaker per endpoint (Finagle failure accrual); false turns it off.',
);

export const outlierDetectionSchema = described(
  v.union(
    [
      v.literal(false),
      strict({
        consecutive5xxErrors: v.optional(
          integer(
            'Eject after this many 5xx responses in a row (0 disables).',
            0,
            1_000_000,
            DEFAULTS.outlierDetection.consecutive5xxErrors,
          ),
        ),
        consecutiveGatewayErrors: v.optional(
          integer(
            'Eject after this many gateway errors (502/503/504, connect failures, resets, timeouts) in a row (0 disables).',
            0,
            1_000_000,
            DEFAULTS.outlierDetection.consecutiveGatewayErrors,
          ),
        ),
        interval: v.optional(
          duration('An ejection count decays by one per interval without ejection.', DEFAULTS.outlierDetection.interval),
        ),
        baseEjectionTime: v.optional(
          duration('Ejection time is this times the ejection count.', DEFAULTS.outlierDetection.baseEjectionTime),
        ),
        maxEjectionTime: v.optional(duration('Longest ejection.', DEFAULTS.outlierDetection.maxEjectionTime)),
        maxEjectionPercent: v.optional(
          integer(
            'Most endpoints ejected at once, in percent (at least one may be; never all).',
            0,
            100,
            DEFAULTS.outlierDetection.maxEjectionPercent,
          ),
        ),
      }),
    ],
    'expected false or an outlierDetection object',
  ),
  'Passive health checking (Istio, Envoy): endpoints that keep failing are ejected for a while; false turns it off.',
);

export const healthCheckSchema = described(
  strict({
    path: described(
      v.pipe(
        v.string(),
        v.startsWith('/', (issue) => `the health check path starts with /, got ${JSON.stringify(issue.input)}`),
      ),
      'Path probed with GET; 2xx is healthy.',
    ),
    interval: v.optional(duration('Time between probes of one endpoint.', DEFAULTS.healthCheck.interval)),
    timeout: v.optional(duration('A probe slower than this fails.', DEFAULTS.healthCheck.timeout)),
    healthyThreshold: v.optional(integer('Passing probes in a row to become healthy.', 1, 100, DEFAULTS.healthCheck.healthyThreshold)),
    unhealthyThreshold: v.optional(
      integer('Failing probes in a row to become unhealthy.', 1, 100, DEFAULTS.healthCheck.unhealthyThreshold),
    ),
  }),
  'Active health checking: each endpoint is probed; unhealthy ones get no traffic. Off unless set.',
);

export const connectionsSchema = described(
  strict({
    maxPerEndpoint: v.optional(integer('Most connections to one endpoint.', 1, 100_000, DEFAULTS.connections.maxPerEndpoint)),
    connectTimeout: v.optional(duration('Time to establish a connection.', DEFAULTS.connections.connectTimeout)),
    keepAliveTimeout: v.optional(duration('Idle time before a kept-alive connection is closed.', DEFAULTS.connections.keepAliveTimeout)),
  }),
  'Connection pool to each endpoint.',
);

// ---------------------------------------------------------------------------------------------
// routing

const stringMatch = v.union(
  [
    v.string(),
    oneKeyOf(
      {
        exact: described(v.string(), 'The whole value equals this.'),
        prefix: described(v.string(), 'The value starts with this.'),
        regex: described(v.string(), 'The value matches this regular expression (JavaScript syntax).'),
        present: bool('true: present with any value; false: absent.'),
      },
      'One of { exact }, { prefix }, { regex }, { present }.',
    ),
  ],
  (issue) => `expected a string (exact) or one of { exact }, { prefix }, { regex }, { present }, got ${issue.received}`,
);

const pathMatch = described(
  v.union(
    [
      v.pipe(
        v.string(),
        v.startsWith('/', (issue) => `paths start with /, got ${JSON.stringify(issue.input)}`),
      ),
      oneKeyOf(
        {
          exact: described(v.string(), 'The path equals this.'),
          prefix: described(v.string(), 'The path starts with this.'),
          regex: described(v.string(), 'The path matches this regular expression (JavaScript syntax).'),
        },
        'One of { exact }, { prefix }, { regex }.',
      ),
    ],
    (issue) => `expected a path ("/x" exact, "/x/*" prefix) or one of { exact }, { prefix }, { regex }, got ${issue.received}`,
  ),
  'Path to match: "/x" exact, "/x/*" prefix, or { exact | prefix | regex }.',
);

export const routeMatchSchema = described(
  strict({
    path: v.optional(pathMatch),
    methods: v.optional(described(v.array(v.pipe(v.string(), v.toUpperCase())), 'HTTP methods matched.')),
    headers: v.optional(
      described(
        v.record(v.string(), stringMatch),
        'Request headers matched (names are case-insensitive): a string for an exact value, or { exact | prefix | regex | present }.',
      ),
    ),
    query: v.optional(
      described(
        v.record(v.string(), stringMatch),
        'Query parameters matched: a string for an exact value, or { exact | prefix | regex | present }.',
      ),
    ),
  }),
  'What a request must have for the route to apply; every condition given must hold. Omitted: every request.',
);

const percent = (description: string) => v.optional(number(description, 0, 100, 100));

export const routeSchema = described(
  strict({
    name: v.optional(described(v.string(), 'Name used in metrics and logs; default: route-0, route-1, ... by position.')),
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
        'Destinations of the route, picked by weight; omitted: every endpoint of the service.',
      ),
    ),
    timeout: v.optional(duration("Overall timeout of a call on this route, retries included; default: the service's.")),
    retries: v.optional(retriesSchema),
    mirror: v.optional(
      described(
        strict({
          service: v.optional(described(serviceName, 'Service that receives the copy; default: the same service.')),
          subset: v.optional(described(v.string(), 'Subset of that service; omitted: every endpoint.')),
          percent: percent('Share of requests mirrored.'),
        }),
        'Send a copy of each request (fire and forget; its response is discarded).',
      ),
    ),
    fault: v.optional(
      described(
        strict({
          delay: v.optional(
            described(
              strict({ fixedDelay: duration('Delay added before the call.'), percent: percent('Share of requests delayed.') }),
              'Delay some requests.',
            ),
          ),
          abort: v.optional(
            described(
              strict({
                httpStatus: integer('Status answered instead of calling the service.', 200, 599),
                percent: percent('Share of requests aborted.'),
              }),
              'Fail some requests without calling the service.',
            ),
          ),
        }),
        'Fault injection, for testing how callers cope.',
      ),
    ),
  }),
  'A route: requests that match go to its destinations with its policies.',
);

// ---------------------------------------------------------------------------------------------
// services

const policyEntries = {
  loadBalancer: v.optional(loadBalancerSchema),
  timeout: v.optional(duration('Overall timeout of a call, retries included; none by default.')),
  retries: v.optional(retriesSchema),
  circuitBreaker: v.optional(circuitBreakerSchema),
  outlierDetection: v.optional(outlierDetectionSchema),
  healthCheck: v.optional(healthCheckSchema),
  connections: v.optional(connectionsSchema),
};

export const defaultsSchema = described(
  strict(policyEntries),
  'Policies every service inherits unless it sets its own (route, then service, then these, then the built-in defaults).',
);

const spiffeIdString = v.pipe(
  v.string(),
  v.regex(/^spiffe:\/\/[^/]+/, (issue) => `expected a SPIFFE ID such as spiffe://example.org/sa/payments, got ${issue.received}`),
);

export const serviceSchema = strict({
  ...policyEntries,
  mtls: v.optional(bool('Call this service over mTLS, checking its SPIFFE ID (default: true when identity.tls is set).')),
  identity: v.optional(
    described(spiffeIdString, "SPIFFE ID the service's servers must present; default: identity.serviceIdentity with {service} filled in."),
  ),
  protocol: v.optional(oneOf(['http', 'https'], 'Protocol to the endpoints.', 'http')),
  subsets: v.optional(
    described(v.record(v.string(), labelMap), 'Named label selectors, e.g. v2: { version: v2 }; routes send to them by name.'),
  ),
  routes: v.optional(described(v.array(routeSchema), 'Routes, first match wins; unmatched requests go to every endpoint.')),
});

export const outboundSchema = described(
  strict({
    passthrough: v.optional(
      bool(
        'Send requests to hosts that are not mesh services straight out; false refuses them (ERR_NO_SERVICE).',
        DEFAULTS.outbound.passthrough,
      ),
    ),
    replayBodyLimit: v.optional(size('Largest request body kept so the request can be retried.', DEFAULTS.outbound.replayBodyLimit)),
  }),
  'Requests this process sends.',
);

const filePath = (description: string) => described(v.pipe(v.string(), v.minLength(1, 'expected a file path')), description);

export const identitySchema = described(
  strict({
    trustDomain: described(
      v.pipe(
        v.string(),
        v.regex(/^[a-z0-9._-]+$/, (issue) => `expected a trust domain (lower-case letters, digits, . - _), got ${issue.received}`),
      ),
      'SPIFFE trust domain of the mesh, e.g. example.org.',
    ),
    tls: v.optional(
      described(
        strict({
          ca: filePath('PEM bundle of the mesh CA(s) that sign peers (relative to this file).'),
          cert: filePath('PEM certificate of this workload: an X509-SVID of the trust domain.'),
          key: filePath('PEM private key of the certificate.'),
        }),
        "This workload's TLS material; the files are watched and rotate without a restart (`inmesh ca` makes development ones).",
      ),
    ),
    serviceIdentity: v.optional(
      described(
        v.pipe(v.string(), v.includes('{service}', 'the template must contain {service}')),
        'Template of the SPIFFE ID a service presents; {trustDomain} and {service} are filled in.',
        DEFAULTS.identity.serviceIdentity,
      ),
    ),
  }),
  'Who this workload is, and how peers prove who they are (mTLS with SPIFFE IDs).',
);

export const authorizationPolicySchema = strict({
  name: v.optional(described(v.string(), 'Name used in logs and metrics; default: its index.')),
  action: v.optional(oneOf(['allow', 'deny'], 'ALLOW or DENY what matches; DENY wins.', 'allow')),
  from: v.optional(
    described(
      v.array(v.string()),
      'Peer SPIFFE IDs: exact, prefix ending in *, or "*" (any authenticated peer). Omitted: any peer, even plaintext.',
    ),
  ),
  methods: v.optional(described(v.array(v.pipe(v.string(), v.toUpperCase())), 'HTTP methods.')),
  paths: v.optional(
    described(
      v.array(v.pipe(v.string(), v.regex(/^(\/|\*)/, 'paths start with / (or are *)'))),
      'Paths (normalised): exact, prefix ending in *, or *.',
    ),
  ),
  headers: v.optional(described(v.record(v.string(), v.string()), 'Header values: exact, or * for present.')),
  dryRun: v.optional(bool('Log and count what this policy would deny, without denying.', false)),
});

export const inboundSchema = described(
  strict({
    mtls: v.optional(
      oneOf(
        ['strict', 'permissive', 'off'],
        'strict: mTLS only; permissive: mTLS and plaintext on one port; off: plaintext. Default: strict when identity.tls is set, else off.',
      ),
    ),
    authorization: v.optional(
      described(
        v.array(authorizationPolicySchema),
        'Authorization policies (Istio semantics: DENY wins; once an ALLOW exists, the rest is denied).',
      ),
    ),
    rateLimit: v.optional(
      strict({
        requestsPerSecond: number('Requests admitted per second (token bucket).', 0.001, 1_000_000),
        burst: v.optional(integer('Largest burst; default: one second of requests.', 1, 10_000_000)),
      }),
    ),
    concurrencyLimit: v.optional(integer('Most requests in progress; more are shed with 503 + Retry-After.', 1, 10_000_000)),
    timeouts: v.optional(
      strict({
        headers: v.optional(duration('Time to receive request headers.', DEFAULTS.inbound.headersTimeout)),
        request: v.optional(duration('Time to receive the whole request.', DEFAULTS.inbound.requestTimeout)),
        keepAlive: v.optional(duration('Idle time before a keep-alive connection is closed.', DEFAULTS.inbound.keepAliveTimeout)),
      }),
    ),
    drain: v.optional(
      strict({
        timeout: v.optional(duration('Longest wait for requests in progress when draining.', DEFAULTS.inbound.drainTimeout)),
        delay: v.optional(duration('Readiness is false this long before the listener closes.', DEFAULTS.inbound.drainDelay)),
        signals: v.optional(
          described(
            v.array(v.picklist(['SIGTERM', 'SIGINT', 'SIGHUP'])),
            'Signals that drain the servers and close the mesh ([] to handle none).',
            DEFAULTS.inbound.drainSignals,
          ),
        ),
      }),
    ),
    healthPaths: v.optional(bool('Answer /healthz and /readyz on the service port.', DEFAULTS.inbound.healthPaths)),
  }),
  'Requests this service receives (mesh.createServer, mesh.middleware, the Fastify plugin).',
);

export const telemetrySchema = described(
  strict({
    tracing: v.optional(
      strict({ enabled: v.optional(bool('Create spans through @opentelemetry/api (no-op without an SDK).', DEFAULTS.telemetry.tracing)) }),
    ),
    metrics: v.optional(
      strict({ enabled: v.optional(bool('Record Prometheus metrics (mesh.metrics, /metrics).', DEFAULTS.telemetry.metrics)) }),
    ),
    accessLog: v.optional(
      strict({
        enabled: v.optional(bool('Write access logs (on when this block is present).', true)),
        output: v.optional(
          described(
            v.pipe(v.string(), v.minLength(1)),
            'stdout, stderr, or a file path (appended; relative to this file).',
            DEFAULTS.telemetry.accessLogOutput,
          ),
        ),
        sample: v.optional(
          number('Share of requests logged, 0 to 1; failures are always logged.', 0, 1, DEFAULTS.telemetry.accessLogSample),
        ),
        directions: v.optional(
          described(v.array(v.picklist(['inbound', 'outbound'])), 'Which requests are logged.', ['inbound', 'outbound']),
        ),
      }),
    ),
  }),
  'Traces, metrics and access logs.',
);

export const adminSchema = described(
  strict({
    host: v.optional(described(v.string(), 'Address the admin server binds to.', DEFAULTS.admin.host)),
    token: v.optional(
      described(
        v.pipe(v.string(), v.minLength(16, 'use a token of at least 16 characters')),
        'Bearer token required by the admin server (redacted in /config).',
      ),
    ),
  }),
  'The admin server (mesh.admin.listen): /metrics, /healthz, /readyz, /config, /endpoints, /routes, /dashboard.',
);

/**
 * The root schema. Discovery entries and balancer options are checked a second time against the
 * registered resolvers and balancers (validate.ts), so custom ones are validated like built-ins.
 */
export const configSchema = strict({
  $schema: v.optional(described(v.string(), 'URL or path of the JSON Schema of this file, for editors; ignored by inmesh.')),
  service: v.optional(described(serviceName, 'Name of this service (telemetry, identity).')),
  discovery: v.optional(
    described(
      v.array(discoverySourceSchema),
      'Discovery sources, in order: the first that knows a service serves it. Each is { static | file | dns: options }.',
    ),
  ),
  identity: v.optional(identitySchema),
  outbound: v.optional(outboundSchema),
  inbound: v.optional(inboundSchema),
  telemetry: v.optional(telemetrySchema),
  admin: v.optional(adminSchema),
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
export type ParsedInbound = v.InferOutput<typeof inboundSchema>;
export type ParsedAuthorizationPolicy = v.InferOutput<typeof authorizationPolicySchema>;
