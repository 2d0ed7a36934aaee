// The mesh: config snapshot, discovery, per-service runtime state, and the outbound HTTP client
// built on them. `createMesh` is the public entry.
import { EventEmitter } from 'node:events';
import { dirname } from 'node:path';
import { Registry } from 'prom-client';
import { Agent, type Dispatcher, fetch as undiciFetch } from 'undici';
import { AdminServer } from './admin/admin-server.js';
import type { BalancerFactory } from './balancer/balancer.js';
import type { EjectionEvent } from './balancer/outlier-detection.js';
import { ServiceEndpoints } from './balancer/service-endpoints.js';
import { createRegistries } from './builtins.js';
import type { ConfigSnapshot, MirrorSettings, ServiceSettings } from './config/compile.js';
import { DEFAULTS } from './config/defaults.js';
import { type ConfigSource, loadConfig } from './config/load.js';
import { parseDuration } from './config/units.js';
import type { ConfigRegistries } from './config/validate.js';
import { currentContext, type RequestContext } from './context/request-context.js';
import { Discovery } from './discovery/discovery.js';
import type { Endpoint } from './discovery/endpoint.js';
import type { ResolverFactory } from './discovery/resolver.js';
import { InmeshError } from './errors.js';
import { EndpointPools } from './http/endpoint-pools.js';
import { HealthChecker } from './http/health-check.js';
import type { RequestHandler } from './http/inbound/inbound-handler.js';
import { type InboundEvent, InboundSide } from './http/inbound/inbound-side.js';
import type { ConnectMiddleware } from './http/inbound/middleware.js';
import type { MeshServer } from './http/inbound/server.js';
import { MeshDispatcher } from './http/mesh-dispatcher.js';
import type { RequestOptions } from './http/request-options.js';
import { ServiceClient } from './http/service-client.js';
import { type Connector, meshConnector } from './http/tls-connector.js';
import { RetryBudget } from './resilience/retry-budget.js';
import { TlsSource } from './security/tls-material.js';
import { Telemetry } from './telemetry/telemetry.js';
import { type Clock, type Random, systemClock, systemRandom } from './util/clock.js';
import { createDefaultLogger, type Logger } from './util/logger.js';
import { type FileWatch, watchFile } from './util/watch-file.js';

/** Options of {@link createMesh}. */
export interface MeshOptions {
  /** Path of a YAML/JSON config file, or the config as an object (same schema). */
  config: ConfigSource;
  /** Reload the config file when it changes (default: true when `config` is a path). */
  watch?: boolean;
  /** A pino-compatible logger (default: JSON lines on stderr, warnings and errors only). */
  logger?: Logger;
  /** Extra discovery kinds, used as `discovery: [{ <name>: options }]`. */
  resolvers?: readonly ResolverFactory<never>[];
  /** Extra load-balancing policies, used as `loadBalancer: <name>`. */
  balancers?: readonly BalancerFactory<never>[];
  /** Dispatcher for hosts that are not mesh services (default: a new undici Agent). */
  passthrough?: Dispatcher;
  /** The prom-client Registry to record metrics in (default: a private one, `mesh.metrics`). */
  registry?: Registry;
  /** Clock and randomness, for tests. */
  clock?: Clock;
  random?: Random;
}

/** Outcome of a config reload. */
export interface ReloadEvent {
  readonly ok: boolean;
  readonly source: string | undefined;
  readonly error?: Error;
}

/** Events a mesh emits. */
export interface MeshEvents {
  reload: [ReloadEvent];
  ejection: [EjectionEvent & { service: string }];
  circuit: [{ service: string; endpoint: Endpoint; state: 'open' | 'half-open' | 'closed' }];
  endpoints: [{ service: string; added: Endpoint[]; removed: Endpoint[] }];
  'discovery-error': [{ service: string; error: Error }];
  /** Inbound refusals: an authorization denial (or dry-run one), load shed, a rejected request or TLS peer. */
  inbound: [InboundEvent];
  /** TLS certificate rotated, rejected, or close to expiry. */
  tls: [{ kind: 'rotate' | 'rejected' | 'expiring'; id?: string; error?: Error; notAfter?: Date }];
}

export type { InboundEvent };

/** A snapshot of one service's endpoints, for admin pages and tests. */
export interface ServiceStatus {
  readonly name: string;
  readonly endpoints: readonly {
    readonly id: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly weight: number;
    readonly state: Endpoint['state'];
    readonly pending: number;
    readonly rttMs: number;
    readonly ejectionCount: number;
  }[];
  readonly retryBudgetAvailable: number;
  readonly lastDiscoveryError: string | undefined;
}

interface ServiceRuntime {
  readonly endpoints: ServiceEndpoints;
  budget: RetryBudget;
  budgetKey: string;
  balancerKey: string;
  unwatch: (() => void) | undefined;
  health: HealthChecker | undefined;
  healthKey: string;
}

function builtinRegistries(options: MeshOptions): ConfigRegistries {
  return createRegistries({
    resolvers: (options.resolvers ?? []) as unknown as ResolverFactory[],
    balancers: (options.balancers ?? []) as unknown as BalancerFactory[],
  });
}

/** A service mesh in this process. Create it with {@link createMesh}. */
export class Mesh extends EventEmitter<MeshEvents> {
  /** An undici Dispatcher: `fetch(url, { dispatcher: mesh.dispatcher })`, `undici.request`, `setGlobalDispatcher`. */
  readonly dispatcher: MeshDispatcher;
  readonly logger: Logger;
  readonly #registries: ConfigRegistries;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #source: ConfigSource;
  #snapshot: ConfigSnapshot;
  #discovery: Discovery;
  #discoveryKey: string;
  #clients = new Map<string, ServiceClient>();
  readonly #runtimes = new Map<string, ServiceRuntime>();
  readonly #pools = new EndpointPools();
  #passthrough: Dispatcher | undefined;
  readonly #ownsPassthrough: boolean;
  #watch: FileWatch | undefined;
  #reloading: Promise<void> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | undefined;
  #tls: TlsSource | undefined;
  readonly #connectors = new Map<string, Connector>();
  readonly #inbound: InboundSide;
  readonly #telemetry: Telemetry;
  readonly #startedAt = Date.now();
  /** The admin server: `await mesh.admin.listen({ port: 9901 })`. */
  readonly admin: AdminServer;

  /** @internal use {@link createMesh} */
  constructor(
    options: MeshOptions,
    registries: ConfigRegistries,
    snapshot: ConfigSnapshot,
    discovery: Discovery,
    logger: Logger,
    tls: TlsSource | undefined,
  ) {
    super();
    this.#tls = tls;
    this.#watchTls(tls);
    this.logger = logger;
    this.#registries = registries;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? systemRandom;
    this.#source = options.config;
    this.#snapshot = snapshot;
    this.#discovery = discovery;
    this.#discoveryKey = JSON.stringify(snapshot.discovery);
    this.#passthrough = options.passthrough;
    this.#ownsPassthrough = options.passthrough === undefined;
    const mesh = this;
    this.#telemetry = new Telemetry(
      {
        tracing: snapshot.telemetry.tracing,
        metrics: snapshot.telemetry.metrics,
        accessLog: snapshot.telemetry.accessLog,
      },
      options.registry,
      {
        endpointStates: () => mesh.#endpointStates(),
        certificateExpirySeconds: () => mesh.#tls?.secondsToExpiry,
      },
      this.#clock,
      this.#random,
    );
    this.#observeForMetrics();
    this.#inbound = new InboundSide({
      clock: this.#clock,
      logger,
      telemetry: this.#telemetry,
      snapshot: () => mesh.#snapshot,
      tls: () => mesh.#tls,
      open: () => !mesh.#closed,
      emit: (event) => mesh.emit('inbound', event),
      onSignal: () => mesh.close(),
    });
    this.admin = new AdminServer({
      metrics: () => this.#telemetry.metrics?.registry,
      ready: () => this.ready,
      config: () => this.#snapshot,
      status: () => this.status(),
      overview: () => this.#overview(),
      settings: () => this.#snapshot.admin,
      logger,
    });
    this.dispatcher = new MeshDispatcher({
      clientFor: (host) => mesh.#clientFor(host),
      passthrough: () => mesh.#passthroughDispatcher(),
      get closed() {
        return mesh.#closed;
      },
      close: () => mesh.close(),
      destroy: () => mesh.close({ force: true }),
    });
  }

  /** The config snapshot in use. */
  get config(): ConfigSnapshot {
    return this.#snapshot;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * WHATWG fetch through the mesh: `mesh.fetch('http://payments/charge', { method: 'POST', body })`.
   * Mesh errors arrive as `TypeError('fetch failed')` with the InmeshError as `cause`.
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    return undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: this.dispatcher,
    }) as unknown as Promise<Response>;
  }

  /**
   * True when `origin` (`http://10.0.0.7:8080`) is an endpoint the mesh itself dials. For
   * @opentelemetry/instrumentation-undici: `ignoreRequestHook: (req) => mesh.ownsOrigin(req.origin)`
   * leaves the mesh's attempts to the mesh's own spans, so they are not traced twice.
   */
  ownsOrigin(origin: string | URL): boolean {
    return this.#pools.owns(typeof origin === 'string' ? origin : origin.origin);
  }

  /** The Prometheus registry the mesh records into (the one given, or its own). */
  get metrics(): Registry {
    return this.#telemetry.metrics?.registry ?? new Registry();
  }

  /** Golden stats and recent errors, as the admin dashboard shows them. */
  get telemetry(): Telemetry {
    return this.#telemetry;
  }

  #observeForMetrics(): void {
    const metrics = () => this.#telemetry.metrics;
    this.on('circuit', (e) => metrics()?.circuit(e.service, e.endpoint.id, e.state));
    this.on('ejection', (e) => {
      if (e.ejected) metrics()?.ejection(e.service, e.reason);
    });
    this.on('endpoints', (e) => {
      for (const endpoint of e.removed) metrics()?.forgetEndpoint(e.service, endpoint.id);
    });
    this.on('reload', (e) => metrics()?.reload(e.ok));
  }

  *#endpointStates(): Iterable<{ service: string; state: string; count: number }> {
    for (const [service, runtime] of this.#runtimes) {
      const counts = new Map<string, number>();
      for (const endpoint of runtime.endpoints.endpoints) counts.set(endpoint.state, (counts.get(endpoint.state) ?? 0) + 1);
      for (const [state, count] of counts) yield { service, state, count };
    }
  }

  /** What the dashboard shows: this service, its callers and its upstreams, with golden signals. */
  #overview() {
    const stats = this.#telemetry.stats;
    const status = this.status();
    return {
      service: this.#snapshot.service ?? 'this service',
      identity: this.identity,
      ready: this.ready,
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      inbound: { ...stats.signals('inbound'), history: stats.history('inbound', 60), totals: stats.totals('inbound') },
      upstreams: status.map((service) => ({
        name: service.name,
        ...stats.signals(`outbound:${service.name}`),
        history: stats.history(`outbound:${service.name}`, 60),
        totals: stats.totals(`outbound:${service.name}`),
        subsets: [...this.#settings(service.name).subsets.keys()].map((subset) => ({
          name: subset,
          ...stats.signals(`outbound:${service.name}/${subset}`),
        })),
        endpoints: service.endpoints,
        retryBudgetAvailable: service.retryBudgetAvailable,
        lastDiscoveryError: service.lastDiscoveryError,
      })),
      errors: [...this.#telemetry.recentErrors].reverse(),
    };
  }

  #watchTls(tls: TlsSource | undefined): void {
    if (!tls) return;
    tls.on('rotate', (m) => this.emit('tls', { kind: 'rotate', id: m.id.uri, notAfter: m.notAfter }));
    tls.on('rejected', (error) => this.emit('tls', { kind: 'rejected', error }));
    tls.on('expiring', (e) => this.emit('tls', { kind: 'expiring', id: e.id, notAfter: e.notAfter }));
  }

  /**
   * A server for this service (`server.listen(port)`) whose requests pass the inbound policies
   * first: mTLS (identity.tls; mode inbound.mtls), authorization, rate and concurrency limits,
   * request hygiene and path normalisation, /healthz and /readyz, and the request context
   * (deadline, peer identity) that outbound calls inherit. Takes a `(req, res)` handler or an
   * express/connect app. `mesh.close()` (and SIGTERM, see inbound.drain.signals) drains it.
   */
  createServer(handler: RequestHandler): MeshServer {
    return this.#inbound.createServer(handler);
  }

  /** The inbound policies as connect/express middleware (mount it first). */
  middleware(): ConnectMiddleware {
    return this.#inbound.middleware();
  }

  /** The inbound policies as a Fastify plugin: `fastify.register(mesh.fastifyPlugin())`. */
  fastifyPlugin() {
    return this.#inbound.fastifyPlugin();
  }

  /** The context of the inbound request being handled (deadline, peer identity), if any. */
  context(): RequestContext | undefined {
    return currentContext();
  }

  /** True while the mesh serves: false before start completes, while draining, and after close. */
  get ready(): boolean {
    return this.#inbound.ready;
  }

  /** This workload's SPIFFE ID (from its certificate), when identity.tls is set. */
  get identity(): string | undefined {
    return this.#tls?.current.id.uri;
  }

  /**
   * Drains the servers made by createServer: readiness goes false, then (after
   * inbound.drain.delay) listeners stop accepting, idle connections close, and requests in
   * progress finish within inbound.drain.timeout. close() does this first.
   */
  drain(): Promise<void> {
    return this.#inbound.drain();
  }

  /** @internal starts discovery for every known service and builds the clients. */
  async start(): Promise<void> {
    await this.#discovery.ready();
    for (const name of this.#serviceNames(this.#snapshot, this.#discovery)) this.#runtime(name, this.#settings(name));
    // DNS answers come after watching starts.
    await this.#discovery.ready();
    this.#clients = this.#buildClients(this.#snapshot);
  }

  /** @internal watches the config file. */
  watchConfig(path: string): void {
    this.#watch = watchFile(path, () => void this.reload().catch(() => {}), parseDuration(DEFAULTS.reload.debounce));
  }

  #serviceNames(snapshot: ConfigSnapshot, discovery: Discovery): Set<string> {
    const names = new Set(snapshot.services.keys());
    for (const name of discovery.knownServices()) names.add(name);
    return names;
  }

  #settings(name: string, snapshot = this.#snapshot): ServiceSettings {
    return snapshot.services.get(name) ?? snapshot.defaultsFor(name);
  }

  /** The runtime of a service, created (and watched) on first need; policies (re)applied. */
  #runtime(name: string, settings: ServiceSettings): ServiceRuntime {
    let runtime = this.#runtimes.get(name);
    if (!runtime) {
      const endpoints = new ServiceEndpoints({ name, clock: this.#clock, random: this.#random });
      endpoints.on('ejection', (event) => {
        this.logger.warn(
          { service: name, endpoint: event.endpoint.id, ejected: event.ejected, reason: event.reason, durationMs: event.durationMs },
          event.ejected ? 'endpoint ejected' : 'endpoint returned',
        );
        this.emit('ejection', event);
      });
      endpoints.on('circuit', (event) => this.emit('circuit', event));
      endpoints.on('change', (event) => {
        this.#pools.release(event.removed);
        this.#runtimes.get(name)?.health?.sync();
        this.emit('endpoints', event);
      });
      runtime = {
        endpoints,
        budget: new RetryBudget(settings.budget, this.#clock),
        budgetKey: JSON.stringify(settings.budget),
        balancerKey: '',
        unwatch: undefined,
        health: undefined,
        healthKey: '',
      };
      this.#runtimes.set(name, runtime);
      this.#watchDiscovery(name, runtime);
    }
    this.#configure(name, runtime, settings);
    return runtime;
  }

  #watchDiscovery(name: string, runtime: ServiceRuntime): void {
    runtime.unwatch?.();
    runtime.unwatch = this.#discovery.watch(name, (update) => {
      if (update.error) {
        runtime.endpoints.fail(update.error);
        this.emit('discovery-error', { service: name, error: update.error });
      } else {
        runtime.endpoints.update(update.endpoints);
      }
    });
  }

  #configure(name: string, runtime: ServiceRuntime, settings: ServiceSettings): void {
    const balancerKey = JSON.stringify([settings.loadBalancer, settings.outlierDetection, settings.circuitBreaker]);
    if (balancerKey !== runtime.balancerKey) {
      runtime.balancerKey = balancerKey;
      const factory = this.#registries.balancers.get(settings.loadBalancer.policy);
      runtime.endpoints.configure(
        factory.create(settings.loadBalancer.options as never, { clock: this.#clock, random: this.#random }),
        settings.loadBalancer.panicThreshold,
        settings.outlierDetection,
        settings.circuitBreaker,
      );
    }
    const budgetKey = JSON.stringify(settings.budget);
    if (budgetKey !== runtime.budgetKey) {
      runtime.budgetKey = budgetKey;
      runtime.budget = new RetryBudget(settings.budget, this.#clock);
    }
    const healthKey = JSON.stringify(settings.healthCheck ?? null);
    if (healthKey !== runtime.healthKey) {
      runtime.healthKey = healthKey;
      runtime.health?.close();
      runtime.health = undefined;
      if (settings.healthCheck) {
        const connector = this.#connectorFor(settings);
        const poolSettings = {
          ...(connector ? { connector } : {}),
          protocol: connector ? ('https' as const) : settings.protocol,
          maxPerEndpoint: settings.connections.maxPerEndpoint,
          connectTimeoutMs: settings.connections.connectTimeoutMs,
          keepAliveTimeoutMs: settings.connections.keepAliveTimeoutMs,
        };
        runtime.health = new HealthChecker(
          runtime.endpoints,
          settings.healthCheck,
          (endpoint) => this.#pools.get(endpoint, poolSettings),
          name,
          this.#random,
        );
      }
    }
  }

  #buildClients(snapshot: ConfigSnapshot): Map<string, ServiceClient> {
    const clients = new Map<string, ServiceClient>();
    for (const [name, runtime] of this.#runtimes) clients.set(name, this.#client(name, runtime, snapshot));
    return clients;
  }

  /** The mTLS connector for a service, shared by every snapshot that expects the same identity. */
  #connectorFor(settings: ServiceSettings): { key: string; connect: Connector } | undefined {
    const tls = this.#tls;
    const trustDomain = this.#snapshot.identity?.trustDomain;
    if (!settings.mtls || !tls || !trustDomain) return undefined;
    const key = `${settings.mtls.identity}|${settings.connections.connectTimeoutMs}`;
    let connect = this.#connectors.get(key);
    if (!connect) {
      connect = meshConnector(tls, settings.mtls.identity, trustDomain, settings.connections.connectTimeoutMs);
      this.#connectors.set(key, connect);
    }
    return { key, connect };
  }

  #client(name: string, runtime: ServiceRuntime, snapshot: ConfigSnapshot): ServiceClient {
    const settings = this.#settings(name, snapshot);
    const connector = this.#connectorFor(settings);
    return new ServiceClient(settings, {
      ...(connector ? { connector } : {}),
      telemetry: this.#telemetry,
      localService: snapshot.service,
      endpoints: runtime.endpoints,
      budget: runtime.budget,
      pools: this.#pools,
      clock: this.#clock,
      random: this.#random,
      replayBodyLimit: snapshot.outbound.replayBodyLimit,
      mirror: (mirror, opts, authority) => this.#mirror(mirror, opts, authority),
    });
  }

  #clientFor(host: string): ServiceClient | undefined {
    if (this.#closed) return undefined;
    const client = this.#clients.get(host);
    if (client !== undefined || !this.#discovery.serves(host)) return client;
    // A name discovery learned after start (e.g. added to an endpoints file).
    const runtime = this.#runtime(host, this.#settings(host));
    const created = this.#client(host, runtime, this.#snapshot);
    this.#clients.set(host, created);
    return created;
  }

  #passthroughDispatcher(): Dispatcher | undefined {
    if (!this.#snapshot.outbound.passthrough) return undefined;
    this.#passthrough ??= new Agent();
    return this.#passthrough;
  }

  #mirror(mirror: MirrorSettings, opts: RequestOptions, authority: string): void {
    const client = this.#clientFor(mirror.service);
    if (!client) return;
    // The copy's response and errors are dropped: mirroring must never affect the caller.
    // The options are shared as they are: no stage changes a call's RequestOptions.
    client.dispatch(opts, { onError() {}, onData: () => true, onHeaders: () => true, onComplete() {} }, authority, mirror.subset);
  }

  /**
   * Re-reads the config file and swaps the snapshot atomically. An invalid file is rejected
   * (event `reload` with ok: false) and the current config stays. Calls in flight finish on the
   * snapshot they started with.
   */
  reload(): Promise<void> {
    const run = async () => {
      if (this.#closed) return;
      const source = typeof this.#source === 'string' ? this.#source : undefined;
      let snapshot: ConfigSnapshot;
      try {
        snapshot = await loadConfig(this.#source, this.#registries);
      } catch (error) {
        this.logger.warn({ err: error, source }, 'config reload rejected; keeping the current config');
        this.emit('reload', { ok: false, source, error: error as Error });
        throw error;
      }
      if (this.#closed) return;
      const discoveryKey = JSON.stringify(snapshot.discovery);
      if (discoveryKey !== this.#discoveryKey) {
        const discovery = createDiscovery(snapshot, this.#registries, this.#clock, this.logger, () => {});
        try {
          await discovery.ready();
        } catch (error) {
          await discovery.close();
          this.logger.warn({ err: error, source }, 'config reload rejected: discovery failed to start');
          this.emit('reload', { ok: false, source, error: error as Error });
          throw error;
        }
        const old = this.#discovery;
        this.#discovery = discovery;
        this.#discoveryKey = discoveryKey;
        for (const [name, runtime] of this.#runtimes) this.#watchDiscovery(name, runtime);
        await old.close();
      }
      const names = this.#serviceNames(snapshot, this.#discovery);
      for (const [name, runtime] of this.#runtimes) {
        if (names.has(name)) continue;
        runtime.unwatch?.();
        runtime.health?.close();
        runtime.endpoints.close();
        this.#pools.release(runtime.endpoints.endpoints);
        this.#runtimes.delete(name);
      }
      for (const name of names) this.#runtime(name, this.#settings(name, snapshot));
      if (JSON.stringify(snapshot.identity) !== JSON.stringify(this.#snapshot.identity)) {
        // New TLS files or trust domain: load them first; a failure rejects the whole reload.
        const tls = snapshot.identity?.tls
          ? await TlsSource.load(snapshot.identity.tls, snapshot.identity.trustDomain, this.logger).catch((error: Error) => {
              this.emit('reload', { ok: false, source, error });
              throw error;
            })
          : undefined;
        this.#tls?.close();
        this.#tls = tls;
        this.#watchTls(tls);
        this.#connectors.clear();
      }
      // The swap: assignments only, no await between them.
      this.#snapshot = snapshot;
      const clients = this.#buildClients(snapshot);
      this.#clients = clients;
      this.#inbound.configure(snapshot);
      this.#telemetry.configureAccessLog(snapshot.telemetry.accessLog);
      this.logger.info({ source }, 'config reloaded');
      this.emit('reload', { ok: true, source });
    };
    // Reloads run one after another, never interleaved.
    this.#reloading = this.#reloading.then(run, run);
    return this.#reloading;
  }

  /** Endpoints and their state, per service. */
  status(): ServiceStatus[] {
    return [...this.#runtimes].map(([name, runtime]) => ({
      name,
      endpoints: runtime.endpoints.endpoints.map((e) => ({
        id: e.id,
        labels: e.labels,
        weight: e.weight,
        state: e.state,
        pending: e.pending,
        rttMs: e.rttMs,
        ejectionCount: e.ejectionCount,
      })),
      retryBudgetAvailable: runtime.budget.available,
      lastDiscoveryError: runtime.endpoints.lastError?.message,
    }));
  }

  /** The endpoint-level state of one service (tests, admin). */
  endpointsOf(service: string): ServiceEndpoints | undefined {
    return this.#runtimes.get(service)?.endpoints;
  }

  /**
   * Stops the mesh: no new calls (ERR_MESH_CLOSED), calls in flight finish, connections close,
   * watchers and timers stop. `force` destroys connections instead of waiting.
   */
  close(options: { force?: boolean } = {}): Promise<void> {
    this.#closing ??= (async () => {
      // Inbound first: requests in progress may still call out, so the client closes after them.
      await this.drain();
      this.#closed = true;
      this.#inbound.removeSignalHandlers();
      this.#watch?.close();
      this.#tls?.close();
      await this.admin.close();
      this.#telemetry.close();
      for (const runtime of this.#runtimes.values()) {
        runtime.unwatch?.();
        runtime.health?.close();
        runtime.endpoints.close();
      }
      await this.#discovery.close();
      if (options.force) await this.#pools.destroy();
      else await this.#pools.close();
      if (this.#ownsPassthrough && this.#passthrough) {
        await (options.force ? this.#passthrough.destroy() : this.#passthrough.close()).catch(() => {});
      }
    })();
    return this.#closing;
  }
}

function createDiscovery(
  snapshot: ConfigSnapshot,
  registries: ConfigRegistries,
  clock: Clock,
  logger: Logger,
  onKnownServicesChanged: () => void,
): Discovery {
  return new Discovery({
    settings: snapshot.discovery,
    registry: registries.resolvers,
    baseDir: snapshot.source ? dirname(snapshot.source) : process.cwd(),
    declaredServices: [...snapshot.services.keys()],
    clock,
    logger,
    onKnownServicesChanged,
  });
}

/**
 * Creates a mesh from a config file or object: validates it (ERR_CONFIG_INVALID lists every
 * problem with file, line and column), starts discovery and waits for its first answers.
 *
 * @example
 * const mesh = await createMesh({ config: './mesh.yaml' });
 * const res = await mesh.fetch('http://payments/charge', { method: 'POST', body });
 */
export async function createMesh(options: MeshOptions): Promise<Mesh> {
  if (!options || typeof options !== 'object' || options.config === undefined) {
    throw new InmeshError('ERR_INVALID_ARGUMENT', 'createMesh needs { config: path | object }');
  }
  const registries = builtinRegistries(options);
  const logger = options.logger ?? createDefaultLogger();
  const clock = options.clock ?? systemClock;
  const snapshot = await loadConfig(options.config, registries);
  // Services a file source learns later get their runtime on first use (Mesh.#clientFor).
  const discovery = createDiscovery(snapshot, registries, clock, logger, () => {});
  const tls = snapshot.identity?.tls
    ? await TlsSource.load(snapshot.identity.tls, snapshot.identity.trustDomain, logger, options.watch !== false)
    : undefined;
  const mesh = new Mesh(options, registries, snapshot, discovery, logger, tls);
  try {
    await mesh.start();
  } catch (err) {
    await mesh.close({ force: true });
    throw err;
  }
  if (typeof options.config === 'string' && options.watch !== false) mesh.watchConfig(snapshot.source ?? options.config);
  return mesh;
}
