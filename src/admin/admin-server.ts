// admin: the admin server of a mesh, `await mesh.admin.listen({ port: 9901 })`, bound to
// 127.0.0.1 unless configured otherwise, with an optional bearer token:
//   /metrics    Prometheus text format
//   /healthz    200 while the process runs
//   /readyz     200 when ready (discovery answered, not draining), else 503
//   /config     the effective config, secrets redacted
//   /endpoints  per service: endpoints, labels, state, EWMA latency, in-flight, ejections
//   /routes     per service: routes, subsets, timeouts, retry policies
//   /dashboard  one self-contained HTML page: the live graph and golden metrics
//   /api/overview  what the dashboard polls

import { timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';
import type { AdminSettings, ConfigSnapshot } from '../config/compile.js';
import type { Logger } from '../util/logger.js';
import { DASHBOARD_HTML } from './dashboard.js';

export interface AdminSources {
  metrics(): Registry | undefined;
  ready(): boolean;
  config(): ConfigSnapshot;
  status(): unknown;
  overview(): unknown;
  settings(): AdminSettings;
  readonly logger: Logger;
}

export interface AdminListenOptions {
  /** Port (0 for any free one). */
  readonly port: number;
  /** Address to bind (default: admin.host, 127.0.0.1). */
  readonly host?: string;
}

/** Keys whose values never leave the process through /config. */
const SECRET_KEY = /token|secret|password|passphrase|credential/i;

/** A deep copy of `value` with secret-looking keys replaced. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = SECRET_KEY.test(key) && v !== undefined ? '[redacted]' : redact(v);
    return out;
  }
  return value;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json', `${JSON.stringify(value, null, 2)}\n`);
}

function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class AdminServer {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(private readonly sources: AdminSources) {}

  /** Starts listening; resolves with the bound address. */
  async listen(options: AdminListenOptions): Promise<{ host: string; port: number; url: string }> {
    if (this.#server) throw new Error('the admin server is already listening');
    const host = options.host ?? this.sources.settings().host;
    const server = createServer((req, res) => void this.#handle(req, res));
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    server.listen(options.port, host);
    await once(server, 'listening');
    this.#server = server;
    const port = (server.address() as AddressInfo).port;
    const shown = host.includes(':') ? `[${host}]` : host;
    return { host, port, url: `http://${shown}:${port}` };
  }

  get listening(): boolean {
    return this.#server?.listening === true;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const token = this.sources.settings().token;
    if (token !== undefined) {
      const header = req.headers.authorization;
      const given = header?.startsWith('Bearer ') ? header.slice(7) : (url.searchParams.get('token') ?? undefined);
      if (!tokenMatches(token, given)) {
        res.setHeader('www-authenticate', 'Bearer realm="inmesh admin"');
        return json(res, 401, { error: { code: 'ERR_UNAUTHORIZED', message: 'a bearer token is required' } });
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: { message: 'GET only' } });
    try {
      switch (url.pathname) {
        case '/':
        case '/dashboard':
          return send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML);
        case '/metrics': {
          const registry = this.sources.metrics();
          if (!registry) return send(res, 404, 'text/plain', 'metrics are disabled (telemetry.metrics.enabled: false)\n');
          return send(res, 200, registry.contentType, await registry.metrics());
        }
        case '/healthz':
          return json(res, 200, { status: 'ok' });
        case '/readyz':
          return this.sources.ready() ? json(res, 200, { status: 'ready' }) : json(res, 503, { status: 'not ready' });
        case '/config':
          return json(res, 200, redact(this.sources.config().raw));
        case '/endpoints':
          return json(res, 200, this.sources.status());
        case '/routes':
          return json(res, 200, routesOf(this.sources.config()));
        case '/api/overview':
          return json(res, 200, this.sources.overview());
        default:
          return json(res, 404, { error: { message: `no admin page at ${url.pathname}` } });
      }
    } catch (err) {
      this.sources.logger.warn({ err }, 'admin request failed');
      if (!res.headersSent) json(res, 500, { error: { message: (err as Error).message } });
    }
  }
}

function routesOf(snapshot: ConfigSnapshot) {
  return [...snapshot.services.values()].map((s) => ({
    service: s.name,
    subsets: Object.fromEntries(s.subsets),
    loadBalancer: s.loadBalancer.policy,
    routes: s.routes.map((r) => ({
      name: r.name,
      match: r.match,
      to: r.to,
      timeoutMs: r.timeoutMs ?? null,
      retries: { attempts: r.retries.attempts, perTryTimeoutMs: r.retries.perTryTimeoutMs ?? null, on: r.retries.on },
      ...(r.mirror ? { mirror: r.mirror } : {}),
      ...(r.fault ? { fault: r.fault } : {}),
    })),
  }));
}
