// discovery: an endpoint of a service and the state every stage of the request path keeps on it.
//
// Protocol-neutral: the balancer reads load, outlier detection and the circuit breaker write health,
// and the HTTP/gRPC transports keep their connection pools elsewhere, keyed by `id`.

/** An endpoint as a resolver reports it. */
export interface EndpointSpec {
  /** IP address or host name. */
  readonly host: string;
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Relative share of traffic (default 1). */
  readonly weight: number;
}

/** Why an endpoint is not taking traffic. */
export type EndpointState = 'healthy' | 'unhealthy' | 'ejected' | 'circuit-open';

/** What a circuit breaker exposes to the balancer. */
export interface BreakerView {
  /** False while open, and while half-open with its one probe already in flight. */
  readonly allowsRequest: boolean;
  readonly isOpen: boolean;
  close(): void;
}

/** A live endpoint: identity, labels, and mutable load and health state. */
export class Endpoint {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  labels: Readonly<Record<string, string>>;
  weight: number;

  /** Attempts in flight to this endpoint. */
  pending = 0;
  /** Peak-EWMA latency in ms; negative until measured. */
  rttMs = -1;
  /** Clock time of the last latency observation. */
  observedAt = 0;
  /** Active health checks' verdict (true when none are configured). */
  healthy = true;
  /** Clock time the current ejection ends; 0 when not ejected. */
  ejectedUntil = 0;
  /** Ejections so far, decayed over time (outlier detection). */
  ejectionCount = 0;
  /** Clock time of the last ejection's end, for decay of `ejectionCount`. */
  lastEjectionEnd = 0;
  consecutive5xx = 0;
  consecutiveGatewayErrors = 0;
  /** Circuit breaker, created on first use to keep idle services cheap. */
  breaker: BreakerView | undefined;
  /** Set when discovery removed the endpoint; in-flight attempts finish, no new ones start. */
  removed = false;
  /**
   * The transport's last connection pool for this endpoint and the settings it was made with:
   * a protocol adapter's cache (opaque here), so an attempt finds its pool without a lookup.
   */
  transport: { readonly settings: unknown; readonly pool: unknown } | undefined;

  constructor(spec: EndpointSpec) {
    this.host = spec.host;
    this.port = spec.port;
    this.id = endpointId(spec.host, spec.port);
    this.labels = spec.labels;
    this.weight = spec.weight;
  }

  get ejected(): boolean {
    return this.ejectedUntil !== 0;
  }

  get state(): EndpointState {
    if (this.breaker?.isOpen) return 'circuit-open';
    if (this.ejectedUntil !== 0) return 'ejected';
    if (!this.healthy) return 'unhealthy';
    return 'healthy';
  }

  /** True when every label of `selector` is on this endpoint. */
  matches(selector: Readonly<Record<string, string>>): boolean {
    for (const key in selector) if (this.labels[key] !== selector[key]) return false;
    return true;
  }
}

/** `host:port`, with brackets around IPv6 addresses. */
export function endpointId(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses `host:port` / `[v6]:port`. */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  if (!match) throw new TypeError(`expected host:port, got ${JSON.stringify(text)}`);
  const port = Number(match[3]);
  if (port < 1 || port > 65535) throw new TypeError(`port out of range in ${JSON.stringify(text)}`);
  return { host: (match[1] ?? match[2]) as string, port };
}
