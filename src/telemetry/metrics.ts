// telemetry: the mesh's Prometheus metrics, in a private prom-client Registry (or the user's),
// never the global one. HTTP durations follow the OpenTelemetry HTTP semantic conventions in
// Prometheus form (`http_client_request_duration_seconds`, semconv bucket boundaries); mesh
// metrics are `inmesh_*`. Every label is bounded by construction: service, route *name* (from
// the config, never the raw path), subset, method (normalised to the known set), status code,
// policy names, endpoint addresses from discovery. A request cannot mint a new series.
import { Counter, Gauge, Registry } from 'prom-client';
import { FastHistogram, type HistogramSeries } from './fast-histogram.js';

/** OTel semconv bucket boundaries for http.*.request.duration, in seconds. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** The method as a bounded label: unknown methods are `_OTHER` (as the semconv asks). */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/** Status code as a label; 0 (no response) is "" . */
function statusLabel(status: number): string {
  return status > 0 ? String(status) : '';
}

export type CircuitLabel = 'closed' | 'half-open' | 'open';
const CIRCUIT_VALUE: Record<CircuitLabel, number> = { closed: 0, 'half-open': 1, open: 2 };

/** What collects point-in-time gauges at scrape time. */
export interface MetricsSource {
  /** Endpoints per service and state. */
  endpointStates(): Iterable<{ service: string; state: string; count: number }>;
  /** Seconds until this workload's certificate expires, when it has one. */
  certificateExpirySeconds(): number | undefined;
}

type Index<T> = Map<string, T>;

/** Series of recent client calls, by their labels (metrics.clientCall). */
interface RecentSeries {
  readonly peerService: string;
  readonly route: string;
  readonly subset: string;
  readonly method: string;
  readonly status: number;
  readonly series: HistogramSeries;
}
const RECENT_SERIES = 4;

export class MeshMetrics {
  /** peer service -> route -> subset -> method -> status -> series (one mesh has one `service`). */
  readonly #clientIndex: Index<Index<Index<Index<Map<number, HistogramSeries>>>>> = new Map();
  // In flight: plain numbers on the request path, read by the gauge at scrape time.
  #inboundInFlight = 0;
  #outboundInFlight = 0;
  readonly registry: Registry;
  readonly #clientDuration: FastHistogram;
  readonly #recentClient: RecentSeries[] = [];
  #recentNext = 0;
  readonly #serverDuration: FastHistogram;
  readonly #retries: Counter<string>;
  readonly #budgetExhausted: Counter<string>;
  readonly #circuit: Gauge<string>;
  readonly #ejections: Counter<string>;
  readonly #reloads: Counter<string>;
  readonly #denials: Counter<string>;
  readonly #shed: Counter<string>;
  readonly #rejected: Counter<string>;

  constructor(registry: Registry | undefined, source: MetricsSource) {
    this.registry = registry ?? new Registry();
    const registers = [this.registry];
    this.#clientDuration = new FastHistogram({
      name: 'http_client_request_duration_seconds',
      help: 'Duration of outbound HTTP calls through the mesh, retries included (OTel http.client.request.duration).',
      labelNames: ['service', 'peer_service', 'route', 'subset', 'method', 'status_code'],
      buckets: HTTP_DURATION_BUCKETS,
      registers,
    });
    this.#serverDuration = new FastHistogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of inbound HTTP requests (OTel http.server.request.duration).',
      labelNames: ['service', 'route', 'method', 'status_code'],
      buckets: HTTP_DURATION_BUCKETS,
      registers,
    });
    this.#retries = new Counter({
      name: 'inmesh_retries_total',
      help: 'Retries sent, by upstream service and subset.',
      labelNames: ['peer_service', 'subset'],
      registers,
    });
    this.#budgetExhausted = new Counter({
      name: 'inmesh_retry_budget_exhausted_total',
      help: 'Retries the retry budget refused, by upstream service.',
      labelNames: ['peer_service'],
      registers,
    });
    this.#circuit = new Gauge({
      name: 'inmesh_circuit_state',
      help: 'Circuit breaker state per endpoint: 0 closed, 1 half-open, 2 open.',
      labelNames: ['peer_service', 'endpoint'],
      registers,
    });
    this.#ejections = new Counter({
      name: 'inmesh_outlier_ejections_total',
      help: 'Endpoints ejected by outlier detection.',
      labelNames: ['peer_service', 'reason'],
      registers,
    });
    new Gauge({
      name: 'inmesh_endpoints',
      help: 'Endpoints per upstream service and state (healthy, unhealthy, ejected, circuit-open).',
      labelNames: ['peer_service', 'state'],
      registers,
      collect() {
        this.reset();
        for (const { service, state, count } of source.endpointStates()) this.set({ peer_service: service, state }, count);
      },
    });
    const metrics = this;
    new Gauge({
      name: 'inmesh_requests_in_flight',
      help: 'Requests in progress, by direction (inbound, outbound).',
      labelNames: ['direction'],
      registers,
      collect() {
        this.set({ direction: 'inbound' }, metrics.#inboundInFlight);
        this.set({ direction: 'outbound' }, metrics.#outboundInFlight);
      },
    });
    this.#reloads = new Counter({
      name: 'inmesh_config_reloads_total',
      help: 'Config reloads, by result (success, rejected).',
      labelNames: ['result'],
      registers,
    });
    new Gauge({
      name: 'inmesh_certificate_expiry_seconds',
      help: "Seconds until this workload's certificate expires.",
      registers,
      collect() {
        const seconds = source.certificateExpirySeconds();
        if (seconds === undefined) this.reset();
        else this.set(Math.round(seconds));
      },
    });
    this.#denials = new Counter({
      name: 'inmesh_authorization_denials_total',
      help: 'Inbound requests denied by authorization, by policy ("" for the default deny); dry_run counts would-be denials.',
      labelNames: ['policy', 'dry_run'],
      registers,
    });
    this.#shed = new Counter({
      name: 'inmesh_requests_shed_total',
      help: 'Inbound requests shed by a limit (rate-limit, concurrency-limit).',
      labelNames: ['reason'],
      registers,
    });
    this.#rejected = new Counter({
      name: 'inmesh_requests_rejected_total',
      help: 'Inbound requests refused before authorization (kind=request: malformed or ambiguous) and TLS peers refused (kind=tls-peer).',
      labelNames: ['kind'],
      registers,
    });
  }

  clientCall(service: string, peerService: string, route: string, subset: string, method: string, status: number, seconds: number): void {
    // Calls repeat the labels of a recent call (a 90/10 split alternates two subsets): a few
    // identity checks find its series before any map is touched.
    const recent = this.#recentClient;
    for (let i = 0; i < recent.length; i++) {
      const r = recent[i] as RecentSeries;
      if (r.status === status && r.subset === subset && r.route === route && r.peerService === peerService && r.method === method) {
        r.series.observe(seconds);
        return;
      }
    }
    const series = this.#clientSeries(service, peerService, route, subset, method, status);
    if (recent.length < RECENT_SERIES) recent.push({ peerService, route, subset, method, status, series });
    else recent[this.#recentNext++ % RECENT_SERIES] = { peerService, route, subset, method, status, series };
    series.observe(seconds);
  }

  #clientSeries(service: string, peerService: string, route: string, subset: string, method: string, status: number): HistogramSeries {
    // Nested maps on strings that come from the config (the same objects call after call, whose
    // hashes V8 keeps), instead of a key string built per call.
    let byRoute = this.#clientIndex.get(peerService);
    if (!byRoute) this.#clientIndex.set(peerService, (byRoute = new Map()));
    let bySubset = byRoute.get(route);
    if (!bySubset) byRoute.set(route, (bySubset = new Map()));
    let byMethod = bySubset.get(subset);
    if (!byMethod) bySubset.set(subset, (byMethod = new Map()));
    const m = methodLabel(method);
    let byStatus = byMethod.get(m);
    if (!byStatus) byMethod.set(m, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (!series) {
      const key = `${service}\0${peerService}\0${route}\0${subset}\0${m}\0${status}`;
      series =
        this.#clientDuration.find(key) ??
        this.#clientDuration.add(key, { service, peer_service: peerService, route, subset, method: m, status_code: statusLabel(status) });
      byStatus.set(status, series);
    }
    return series;
  }

  serverRequest(service: string, route: string, method: string, status: number, seconds: number): void {
    const m = methodLabel(method);
    const key = `${service}\0${route}\0${m}\0${status}`;
    const series =
      this.#serverDuration.find(key) ?? this.#serverDuration.add(key, { service, route, method: m, status_code: statusLabel(status) });
    series.observe(seconds);
  }

  retries(peerService: string, subset: string, n: number): void {
    if (n > 0) this.#retries.inc({ peer_service: peerService, subset }, n);
  }

  budgetExhausted(peerService: string): void {
    this.#budgetExhausted.inc({ peer_service: peerService });
  }

  circuit(peerService: string, endpoint: string, state: CircuitLabel): void {
    this.#circuit.set({ peer_service: peerService, endpoint }, CIRCUIT_VALUE[state]);
  }

  /** Forgets the series of an endpoint discovery removed. */
  forgetEndpoint(peerService: string, endpoint: string): void {
    this.#circuit.remove({ peer_service: peerService, endpoint });
  }

  ejection(peerService: string, reason: string): void {
    this.#ejections.inc({ peer_service: peerService, reason });
  }

  inFlight(direction: 'inbound' | 'outbound', delta: number): void {
    if (direction === 'inbound') this.#inboundInFlight += delta;
    else this.#outboundInFlight += delta;
  }

  reload(ok: boolean): void {
    this.#reloads.inc({ result: ok ? 'success' : 'rejected' });
  }

  denial(policy: string, dryRun: boolean): void {
    this.#denials.inc({ policy, dry_run: dryRun ? 'true' : 'false' });
  }

  shed(reason: string): void {
    this.#shed.inc({ reason });
  }

  rejected(kind: 'request' | 'tls-peer'): void {
    this.#rejected.inc({ kind });
  }
}
