// http (inbound): the policies at a service's door, in DESIGN's order, around the user's handler:
//   hygiene -> path normalisation -> health -> authorize -> limit -> context -> handler
// Each refusal is a small JSON body with a stable error code; nothing reaches the handler that a
// policy refused, and the handler sees the normalised path.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bindEmitterToContext, runWithContext } from '../../context/request-context.js';
import type { ErrorCode } from '../../errors.js';
import { ERROR_CODES } from '../../errors.js';
import type { ConcurrencyLimit } from '../../resilience/concurrency-limit.js';
import { DEADLINE_HEADER, parseDeadlineHeader } from '../../resilience/deadline.js';
import type { TokenBucket } from '../../resilience/rate-limiter.js';
import type { AuthorizationDecision, Authorizer } from '../../security/authorization.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import {
  type Context,
  extractContext,
  failSpan,
  otelContext,
  type Span,
  SpanKind,
  startSpan,
  trace,
  tracingInstalled,
} from '../../telemetry/tracing.js';
import type { Clock } from '../../util/clock.js';
import { normalizePath } from '../path-normalize.js';
import { peerIdentity } from './peer-identity.js';
import { checkRequest } from './request-hygiene.js';

/** The inbound policies of one config snapshot. */
export interface InboundPolicy {
  readonly service: string | undefined;
  readonly authorizer: Authorizer;
  readonly rateLimit: TokenBucket | undefined;
  readonly concurrency: ConcurrencyLimit | undefined;
  /** Answer /healthz and /readyz on the service's own port. */
  readonly healthPaths: boolean;
}

/** What the inbound side reports (the mesh turns these into logs, events and metrics). */
export interface InboundObserver {
  denied(decision: AuthorizationDecision, info: { peer: string | undefined; method: string; path: string }): void;
  dryRunDenied(policies: readonly string[], info: { peer: string | undefined; method: string; path: string }): void;
  shed(reason: 'rate-limit' | 'concurrency-limit'): void;
  rejected(reason: string): void;
}

export interface InboundEnvironment {
  policy(): InboundPolicy;
  /** Metrics, stats, access log and tracing of the inbound side; undefined for none. */
  readonly telemetry?: Telemetry | undefined;
  readonly ready: boolean;
  readonly draining: boolean;
  readonly clock: Clock;
  readonly observer: InboundObserver;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

function respond(res: ServerResponse, status: number, code: ErrorCode | 'OK', message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(code === 'OK' ? { status: message } : { error: { code, message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Refuses a request with the HTTP status of `code` and its JSON body. */
export function refuse(res: ServerResponse, code: ErrorCode, message: string, headers?: Record<string, string>): void {
  respond(res, ERROR_CODES[code].status, code, message, headers);
}

/**
 * Runs the inbound policies, then `next` inside the request context. Returns false when the
 * request was answered by a policy. Used by the server wrapper and the middlewares alike.
 */
export function admit(
  env: InboundEnvironment,
  req: IncomingMessage,
  res: ServerResponse,
  next: () => void,
  /**
   * False where a router has already matched the raw path (Fastify hooks): a path that
   * normalises to something else is then refused, since the route and the policy would disagree.
   */
  rewrite = true,
): boolean {
  const policy = env.policy();
  const observer = env.observer;
  const telemetry = env.telemetry;
  const otel = telemetry ? observeRequest(env, telemetry, policy.service, req, res) : undefined;

  const problem = checkRequest(req);
  if (problem) {
    observer.rejected(problem);
    refuse(res, 'ERR_REQUEST_REJECTED', problem);
    return false;
  }
  const url = req.url ?? '/';
  let path = url;
  let query = '';
  if (url !== '*') {
    const q = url.indexOf('?');
    const normalized = normalizePath(q === -1 ? url : url.slice(0, q));
    if (!normalized.ok) {
      observer.rejected(normalized.reason);
      refuse(res, 'ERR_REQUEST_REJECTED', normalized.reason);
      return false;
    }
    path = normalized.path;
    query = q === -1 ? '' : url.slice(q);
    if (path + query !== url) {
      if (!rewrite) {
        observer.rejected('path not in normal form');
        refuse(res, 'ERR_REQUEST_REJECTED', `the path is not in normal form (use ${path})`);
        return false;
      }
      req.url = path + query;
    }
  }

  if (policy.healthPaths && (path === '/healthz' || path === '/readyz')) {
    if (path === '/healthz') respond(res, 200, 'OK', 'ok');
    else if (env.ready && !env.draining) respond(res, 200, 'OK', 'ready');
    else respond(res, 503, 'OK', env.draining ? 'draining' : 'starting');
    return false;
  }

  const peer = peerIdentity(req.socket);
  if (!policy.authorizer.permissive) {
    const method = req.method ?? 'GET';
    const decision = policy.authorizer.decide({
      peer,
      method,
      path,
      header: (name) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value[0] : value;
      },
    });
    if (decision.dryRunDenials.length > 0) observer.dryRunDenied(decision.dryRunDenials, { peer, method, path });
    if (!decision.allowed) {
      observer.denied(decision, { peer, method, path });
      refuse(res, 'ERR_AUTHZ_DENIED', `${method} ${path} is not allowed for ${peer ?? 'an unauthenticated peer'}`);
      return false;
    }
  }

  if (policy.rateLimit && !policy.rateLimit.tryTake()) {
    observer.shed('rate-limit');
    const retryAfter = Math.max(1, Math.ceil(policy.rateLimit.waitMs / 1000));
    refuse(res, 'ERR_LOAD_SHED', 'rate limit exceeded', { 'retry-after': String(retryAfter) });
    return false;
  }
  const concurrency = policy.concurrency;
  if (concurrency) {
    if (!concurrency.tryAcquire()) {
      observer.shed('concurrency-limit');
      refuse(res, 'ERR_LOAD_SHED', 'too many requests in progress', { 'retry-after': '1' });
      return false;
    }
    res.once('close', () => concurrency.release());
  }

  // While draining, every response asks the client to close its connection, so keep-alive
  // connections end with the request in progress instead of racing a new one.
  if (env.draining) res.setHeader('connection', 'close');

  const timeoutMs = parseDeadlineHeader(req.headers[DEADLINE_HEADER]);
  let deadlineAt: number | undefined;
  if (timeoutMs !== undefined) {
    if (timeoutMs === 0) {
      refuse(res, 'ERR_DEADLINE_EXCEEDED', "the caller's deadline had passed on arrival");
      return false;
    }
    deadlineAt = env.clock.now() + timeoutMs;
    // The caller gives up at its deadline: answer 504 then if the handler has not answered, and
    // let work made on the caller's behalf (outbound calls inherit the deadline) stop too.
    const timer = setTimeout(() => {
      if (!res.headersSent) refuse(res, 'ERR_DEADLINE_EXCEEDED', `no response within the caller's deadline of ${timeoutMs}ms`);
    }, timeoutMs);
    timer.unref();
    res.once('close', () => clearTimeout(timer));
  }

  const context = {
    ...(deadlineAt !== undefined ? { deadlineAt } : {}),
    ...(peer ? { peer } : {}),
    ...(policy.service ? { service: policy.service } : {}),
    ...(otel ? { otel } : {}),
  };
  const run = () =>
    runWithContext(context, () => {
      bindEmitterToContext(req);
      bindEmitterToContext(res);
      next();
    });
  // With an SDK context manager installed, the application's own spans see the SERVER span too.
  if (otel) otelContext.with(otel, run);
  else run();
  return true;
}

/** Where routers leave the matched route template (express: req.route, Fastify: set by the plugin). */
export const kRouteTemplate = Symbol.for('inmesh.route');

function routeTemplate(req: IncomingMessage): string {
  const own = (req as unknown as Record<symbol, string | undefined>)[kRouteTemplate];
  if (own) return own;
  // express: the matched route's path under its router's mount point. Both are templates
  // (`/orders/:id`), never the raw path, so the label stays bounded.
  const express = req as unknown as { route?: { path?: unknown }; baseUrl?: string };
  return typeof express.route?.path === 'string' ? `${express.baseUrl ?? ''}${express.route.path}` : '';
}

/**
 * Starts the telemetry of an inbound request: a SERVER span (child of the caller's trace
 * context), and at its end metrics, golden stats, the access log and recent errors. Returns the
 * context to run the handler in, when tracing.
 */
function observeRequest(
  env: InboundEnvironment,
  telemetry: Telemetry,
  service: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Context | undefined {
  const startedAt = env.clock.now();
  const method = req.method ?? 'GET';
  telemetry.metrics?.inFlight('inbound', 1);
  let span: Span | undefined;
  let ctx: Context | undefined;
  if (telemetry.tracing && tracingInstalled()) {
    const parent = extractContext(req.headers);
    span = startSpan(
      method,
      SpanKind.SERVER,
      {
        'http.request.method': method,
        'url.path': (req.url ?? '/').split('?')[0] as string,
        'network.peer.address': req.socket.remoteAddress ?? '',
        ...(service ? { 'server.address': service } : {}),
      },
      parent,
    );
    ctx = trace.setSpan(parent, span);
  }
  res.once('close', () => {
    const durationMs = env.clock.now() - startedAt;
    const completed = res.writableFinished;
    const status = completed || res.headersSent ? res.statusCode : 0;
    const route = routeTemplate(req);
    const ok = completed && status < 500;
    telemetry.metrics?.inFlight('inbound', -1);
    telemetry.metrics?.serverRequest(service ?? '', route, method, status, durationMs / 1000);
    telemetry.stats.record('inbound', durationMs, ok);
    if (!ok) {
      telemetry.recordError({
        time: Date.now(),
        direction: 'inbound',
        service: service ?? '',
        status,
        code: status ? `HTTP ${status}` : 'ERR_CONNECTION_CLOSED',
        message: `${method} ${req.url} ${status ? `answered ${status}` : 'closed before a response'}`,
      });
    }
    if (span) {
      if (route) {
        span.setAttribute('http.route', route);
        span.updateName(`${method} ${route}`);
      }
      if (status) span.setAttribute('http.response.status_code', status);
      if (!completed) failSpan(span, 'ERR_CONNECTION_CLOSED');
      else if (status >= 500) failSpan(span, String(status));
      span.end();
    }
    const log = telemetry.accessLog;
    if (log?.wants('inbound')) {
      const sc = span?.spanContext();
      const length = Number(res.getHeader('content-length'));
      log.log({
        direction: 'inbound',
        service,
        peer: peerIdentity(req.socket),
        route,
        method,
        path: req.url ?? '',
        status,
        duration_ms: Math.round(durationMs * 1000) / 1000,
        ...(Number.isFinite(length) ? { bytes_out: length } : {}),
        trace_id: sc?.traceId,
        span_id: sc?.spanId,
        ...(completed ? {} : { error: 'ERR_CONNECTION_CLOSED' }),
      });
    }
  });
  return ctx;
}

/** Wraps a `(req, res)` handler (or an express/connect app) with the inbound policies. */
export function inboundHandler(env: InboundEnvironment, handler: RequestHandler): RequestHandler {
  return (req, res) => {
    admit(env, req, res, () => handler(req, res));
  };
}
