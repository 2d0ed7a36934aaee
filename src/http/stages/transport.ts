// http (transport, per attempt): the attempt goes to the chosen endpoint's pool, with the
// logical authority as Host (as a sidecar keeps :authority), the call's remaining deadline in a
// header for the callee, and, when tracing, a CLIENT span for the attempt whose context travels
// in traceparent/tracestate/baggage.
import { isIP } from 'node:net';
import { DEADLINE_HEADER } from '../../resilience/deadline.js';
import { type Context, failSpan, injectPropagationHeaders, type Span, SpanKind, startSpan, trace } from '../../telemetry/tracing.js';
import type { CallState } from '../call.js';
import type { EndpointPools, PoolSettings } from '../endpoint-pools.js';
import { ForwardingHandler } from '../forwarding-handler.js';
import type { DispatchHandler, DispatchOptions } from '../handler.js';
import { withHeaders } from '../headers.js';
import type { CallDispatch } from './stage.js';

export interface TransportOptions {
  readonly pools: EndpointPools;
  readonly settings: PoolSettings;
  readonly tracing: boolean;
}

/** Ends an attempt's CLIENT span with what the attempt got. */
class AttemptSpanHandler extends ForwardingHandler {
  constructor(
    handler: DispatchHandler,
    private readonly span: Span,
  ) {
    super(handler);
  }
  override onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: unknown): void {
    this.span.setAttribute('http.response.status_code', statusCode);
    this.span.end();
    this.handler.onUpgrade?.(statusCode, rawHeaders, socket);
  }
  override onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode >= 200) {
      this.span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) failSpan(this.span, String(statusCode));
    }
    return this.handler.onHeaders?.(statusCode, rawHeaders, resume, statusText) ?? true;
  }
  override onComplete(rawTrailers: Buffer[] | string[] | null): void {
    this.span.end();
    this.handler.onComplete?.(rawTrailers);
  }
  override onError(err: Error): void {
    failSpan(this.span, (err as { code?: string }).code ?? err.name, err.message);
    this.span.end();
    this.handler.onError?.(err);
  }
}

/**
 * The context an attempt's span hangs from: the call's INTERNAL span when the call may retry or a
 * route chose where it goes (decided once, at the first attempt, when the route is known),
 * otherwise the caller's context directly.
 */
function attemptParent(call: CallState): Context {
  const parent = call.otelParent as Context;
  if (!call.spanDecided) {
    call.spanDecided = true;
    const decision = call.retry !== undefined || call.routeName !== 'default' || call.subset?.key;
    if (decision) {
      call.span = startSpan(
        `${call.method} ${call.service}`,
        SpanKind.INTERNAL,
        {
          'http.request.method': call.method,
          'server.address': call.service,
          'inmesh.route': call.routeName,
          ...(call.subset?.key ? { 'inmesh.subset': call.subset.key } : {}),
        },
        parent,
        call.startEpochMs,
      );
    }
  }
  return call.span ? trace.setSpan(parent, call.span as Span) : parent;
}

/**
 * The TLS server name undici would derive from the Host header (its host part, none for an IP).
 * undici derives it on every request when a Host header is given (a parse and two IP regexes);
 * handing it over ready-made skips that and changes nothing on the wire.
 */
export function serverNameOf(authority: string): string | undefined {
  let host = authority;
  if (host.startsWith('[')) return undefined;
  const colon = host.indexOf(':');
  if (colon !== -1) host = host.slice(0, colon);
  return host === '' || isIP(host) !== 0 ? undefined : host;
}

export function transport(options: TransportOptions): CallDispatch {
  const { pools, settings, tracing } = options;
  const scheme = settings.connector ? 'https' : settings.protocol;
  // A service is called under one authority, call after call: remember the last one's name.
  let lastAuthority = '';
  let lastServerName: string | undefined;
  // Calls of a route mostly send the same remaining budget (their whole timeout): keep its text.
  let lastBudgetMs = -1;
  let lastBudgetText = '';
  return (call, handler) => {
    const opts = call.opts;
    const endpoint = call.endpoint;
    if (endpoint === undefined) throw new Error('transport reached without an endpoint (balance stage missing)');
    const pool = pools.get(endpoint, settings);
    let deadline: string | undefined;
    if (call.deadlineAt !== undefined) {
      const budgetMs = Math.max(0, Math.floor(call.deadlineAt - call.attemptStartedAt));
      if (budgetMs !== lastBudgetMs) {
        lastBudgetMs = budgetMs;
        lastBudgetText = String(budgetMs);
      }
      deadline = lastBudgetText;
    }
    if (call.authority !== lastAuthority) {
      lastAuthority = call.authority;
      lastServerName = serverNameOf(call.authority);
    }
    // The headers to send: the caller's with Host, the deadline and trace context set.
    const additions = deadline === undefined ? ['host', call.authority] : ['host', call.authority, DEADLINE_HEADER, deadline];
    let attemptHandler = handler;
    if (tracing && call.otelParent !== undefined) {
      const parent = attemptParent(call);
      const span = startSpan(
        call.method,
        SpanKind.CLIENT,
        {
          'http.request.method': call.method,
          'server.address': call.service,
          'url.full': `${scheme}://${call.authority}${call.opts.path}`,
          'network.peer.address': endpoint.host,
          'network.peer.port': endpoint.port,
          ...(call.attempts > 1 ? { 'http.request.resend_count': call.attempts - 1 } : {}),
        },
        parent,
      );
      injectPropagationHeaders(trace.setSpan(parent, span), additions);
      attemptHandler = new AttemptSpanHandler(handler, span);
    }
    const headers = withHeaders(opts.headers, additions);
    // The options for the pool, built once per attempt with a fixed shape: exactly what undici's
    // core reads (core/request.js), read from the call's RequestOptions (one shape too).
    return pool.dispatch(
      {
        path: opts.path,
        method: opts.method,
        body: call.attemptBody === undefined ? opts.body : call.attemptBody,
        headers,
        query: opts.query,
        idempotent: opts.idempotent,
        blocking: opts.blocking,
        upgrade: opts.upgrade,
        headersTimeout: opts.headersTimeout,
        bodyTimeout: opts.bodyTimeout,
        reset: opts.reset,
        expectContinue: opts.expectContinue,
        servername: opts.servername ?? lastServerName,
        throwOnError: opts.throwOnError,
      } as DispatchOptions,
      attemptHandler as never,
    );
  };
}
