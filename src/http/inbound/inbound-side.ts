// http (inbound): the inbound side of a mesh: its policies for the current config snapshot, the
// servers it made, readiness, drain, and the signals that trigger a drain. The mesh owns one and
// hands it the snapshot on every reload; refusals are logged, counted and reported as events.
import type { ConfigSnapshot } from '../../config/compile.js';
import { InmeshError } from '../../errors.js';
import { ConcurrencyLimit } from '../../resilience/concurrency-limit.js';
import { TokenBucket } from '../../resilience/rate-limiter.js';
import { Authorizer } from '../../security/authorization.js';
import type { TlsSource } from '../../security/tls-material.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { type InboundEnvironment, type InboundPolicy, inboundHandler, type RequestHandler } from './inbound-handler.js';
import { type ConnectMiddleware, connectMiddleware, fastifyPlugin } from './middleware.js';
import { createInboundServer, type MeshServer } from './server.js';

/** What the inbound side refused, and why. */
export type InboundEvent =
  | {
      kind: 'denied' | 'dry-run-denied';
      policies: readonly string[];
      peer: string | undefined;
      method: string;
      path: string;
      reason: string;
    }
  | { kind: 'shed'; reason: 'rate-limit' | 'concurrency-limit' }
  | { kind: 'rejected'; reason: string }
  | { kind: 'peer-refused'; reason: string };

export interface InboundSideOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly snapshot: () => ConfigSnapshot;
  readonly tls: () => TlsSource | undefined;
  /** False once the mesh is closed. */
  readonly open: () => boolean;
  readonly emit: (event: InboundEvent) => void;
  /** What a drain signal does: close the mesh. */
  readonly onSignal: () => Promise<void>;
}

export class InboundSide {
  readonly env: InboundEnvironment;
  #policy: InboundPolicy;
  readonly #servers = new Set<MeshServer>();
  #draining = false;
  #signals: { signal: NodeJS.Signals; listener: () => void }[] | undefined;

  constructor(private readonly options: InboundSideOptions) {
    this.#policy = this.#build(options.snapshot(), undefined);
    const { logger, telemetry, emit } = options;
    const side = this;
    this.env = {
      policy: () => side.#policy,
      get ready() {
        return options.open() && !side.#draining;
      },
      get draining() {
        return side.#draining;
      },
      clock: options.clock,
      telemetry,
      observer: {
        denied: (decision, info) => {
          logger.info({ ...info, reason: decision.reason }, 'request denied by authorization');
          telemetry.metrics?.denial(decision.policy ?? '', false);
          emit({ kind: 'denied', policies: decision.policy ? [decision.policy] : [], ...info, reason: decision.reason });
        },
        dryRunDenied: (policies, info) => {
          logger.info({ ...info, policies }, 'request would be denied (dry run)');
          for (const policy of policies) telemetry.metrics?.denial(policy, true);
          emit({ kind: 'dry-run-denied', policies, ...info, reason: 'dry run' });
        },
        shed: (reason) => {
          telemetry.metrics?.shed(reason);
          emit({ kind: 'shed', reason });
        },
        rejected: (reason) => {
          telemetry.metrics?.rejected('request');
          emit({ kind: 'rejected', reason });
        },
      },
    };
  }

  /** Takes the policies of a new snapshot; limiters whose settings did not change keep their state. */
  configure(snapshot: ConfigSnapshot): void {
    this.#policy = this.#build(snapshot, this.#policy);
  }

  #build(snapshot: ConfigSnapshot, previous: InboundPolicy | undefined): InboundPolicy {
    const { rateLimit, concurrencyLimit, authorization, healthPaths } = snapshot.inbound;
    const sameRate =
      rateLimit !== undefined &&
      previous?.rateLimit?.ratePerSecond === rateLimit.requestsPerSecond &&
      previous?.rateLimit?.burst === rateLimit.burst;
    return {
      service: snapshot.service,
      authorizer: new Authorizer(authorization),
      rateLimit:
        rateLimit === undefined
          ? undefined
          : sameRate
            ? previous?.rateLimit
            : new TokenBucket(rateLimit.requestsPerSecond, rateLimit.burst, this.options.clock),
      concurrency:
        concurrencyLimit === undefined
          ? undefined
          : previous?.concurrency?.max === concurrencyLimit
            ? previous.concurrency
            : new ConcurrencyLimit(concurrencyLimit),
      healthPaths,
    };
  }

  get ready(): boolean {
    return this.env.ready;
  }

  createServer(handler: RequestHandler): MeshServer {
    if (!this.options.open()) throw new InmeshError('ERR_MESH_CLOSED');
    const snapshot = this.options.snapshot();
    const settings = snapshot.inbound;
    const server = createInboundServer(inboundHandler(this.env, handler), {
      mode: settings.mtls,
      tls: this.options.tls(),
      trustDomain: snapshot.identity?.trustDomain,
      timeouts: settings.timeouts,
      logger: this.options.logger,
      onPeerRefused: (reason) => {
        this.options.telemetry.metrics?.rejected('tls-peer');
        this.options.emit({ kind: 'peer-refused', reason });
      },
    });
    this.#servers.add(server);
    server.on('close', () => this.#servers.delete(server));
    this.#installSignalHandlers(settings.drain.signals);
    return server;
  }

  middleware(): ConnectMiddleware {
    return connectMiddleware(this.env);
  }

  fastifyPlugin() {
    return fastifyPlugin(this.env);
  }

  /** Readiness false, then (after the drain delay) the servers stop accepting and finish. */
  async drain(): Promise<void> {
    this.#draining = true;
    if (this.#servers.size === 0) return;
    const { delayMs, timeoutMs } = this.options.snapshot().inbound.drain;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    await Promise.all([...this.#servers].map((server) => server.drain(timeoutMs)));
  }

  #installSignalHandlers(signals: readonly NodeJS.Signals[]): void {
    if (this.#signals || signals.length === 0) return;
    this.#signals = signals.map((signal) => {
      const listener = () => {
        this.options.logger.info({ signal }, 'draining before exit');
        void this.options.onSignal().finally(() => {
          this.removeSignalHandlers();
          // Our listener replaced Node's default action; once drained, let the signal do what it
          // would have done (exit), unless the application listens to it too.
          if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
        });
      };
      process.once(signal, listener);
      return { signal, listener };
    });
  }

  removeSignalHandlers(): void {
    for (const { signal, listener } of this.#signals ?? []) process.removeListener(signal, listener);
    this.#signals = undefined;
  }
}
