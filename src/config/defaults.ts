// config: every default a user inherits, in one table, with the project it was taken from.
//
// The schema shows these in docs/config.md and the JSON Schema; compile.ts applies them. Keeping
// them here (and nowhere else) is what keeps the docs true.

export const DEFAULTS = {
  outbound: {
    /** Hosts that are not mesh services go straight out (a global dispatcher must not break them). */
    passthrough: true,
    /** Request bodies up to this size are kept so the request can be retried (Linkerd, gRFC A6). */
    replayBodyLimit: '64KiB',
  },
  connections: {
    /** Bounded, so one slow endpoint cannot take every socket of the process (Envoy: 1024/cluster). */
    maxPerEndpoint: 64,
    /** Envoy's connect_timeout default. */
    connectTimeout: '5s',
    /** Below Node's server keep-alive (5 s), so the client closes an idle socket before the server does. */
    keepAliveTimeout: '4s',
  },
  loadBalancer: {
    /** P2C over peak-EWMA: Linkerd, Finagle, Kong's `latency`. */
    policy: 'peak-ewma',
    /** Finagle's and Linkerd's EWMA decay. */
    decay: '10s',
    /** Cost assumed for an endpoint before its first response (Linkerd). */
    defaultRtt: '30ms',
    /** Ring-hash virtual nodes (Envoy's minimum_ring_size is 1024). */
    ringSize: 1024,
    /** Below this share of eligible endpoints, ignore health and use them all (Envoy's 50% panic threshold). */
    panicThreshold: 50,
  },
  retries: {
    /** Istio's default: one retry. gRFC A6 caps attempts at 5. */
    attempts: 2,
    /** Istio's default retry_on, minus gRPC-only conditions: always safe to retry. */
    on: ['connect-failure', 'refused-stream'] as const,
    /** Envoy's retry back-off: 25 ms base, 10x max; ±20% jitter (gRFC A6). */
    backoffBase: '25ms',
    backoffMax: '250ms',
    /** Longest Retry-After we wait for; a longer one ends the retries and returns the response. */
    maxRetryAfter: '5s',
  },
  budget: {
    /** Linkerd ServiceProfile / Finagle RetryBudget defaults. */
    ratio: 0.2,
    minRetriesPerSecond: 10,
    ttl: '10s',
  },
  circuitBreaker: {
    /** Finagle failure accrual: open below 80% success ... */
    errorThresholdPercentage: 20,
    /** ... with at least 5 requests ... */
    volumeThreshold: 5,
    /** ... over 30 s. */
    window: '30s',
    /** Finagle marks an endpoint dead for 5 s before one probe. */
    resetTimeout: '5s',
  },
  outlierDetection: {
    /** Envoy / Istio / gRFC A50. */
    consecutive5xxErrors: 5,
    consecutiveGatewayErrors: 5,
    interval: '10s',
    baseEjectionTime: '30s',
    maxEjectionTime: '300s',
    maxEjectionPercent: 10,
  },
  healthCheck: {
    interval: '10s',
    timeout: '1s',
    healthyThreshold: 1,
    unhealthyThreshold: 2,
  },
  dns: {
    /** TTLs are honoured within [minTtl, maxTtl]: a 0 TTL must not make us re-resolve in a loop. */
    minTtl: '5s',
    maxTtl: '5m',
    /** Refresh interval where no TTL is known (SRV answers through Node's resolver carry none). */
    refresh: '30s',
    port: 80,
  },
  reload: {
    /** Editors and ConfigMap updates write a file in several steps; wait for them to settle. */
    debounce: '100ms',
  },
  identity: {
    /** The SPIFFE ID a service's servers must present, unless the service names its own. */
    serviceIdentity: 'spiffe://{trustDomain}/sa/{service}',
  },
  telemetry: {
    /** No-op until the application installs an OpenTelemetry SDK. */
    tracing: true,
    metrics: true,
    accessLogOutput: 'stdout',
    accessLogSample: 1,
  },
  admin: {
    /** Loopback only unless configured: the admin server shows config and topology. */
    host: '127.0.0.1',
  },
  inbound: {
    /** Envoy's edge guidance; Node's own headers timeout is 60 s, an open door to slow-loris. */
    headersTimeout: '5s',
    /** Whole request, body included. */
    requestTimeout: '30s',
    /** Node's server keep-alive default; clients close first (ours use 4 s). */
    keepAliveTimeout: '5s',
    /** Below Kubernetes' 30 s grace period, leaving time to exit. */
    drainTimeout: '20s',
    /** Time readiness is false before the listener closes (load balancers notice first). */
    drainDelay: '0s',
    drainSignals: ['SIGTERM'] as const,
    healthPaths: true,
  },
} as const;
