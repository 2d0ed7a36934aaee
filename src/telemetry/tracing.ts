// telemetry: spans through @opentelemetry/api only: without an SDK they are no-ops, with the
// user's SDK they follow the OTel HTTP semantic conventions. One CLIENT span per attempt sent
// (resends carry http.request.resend_count) under an INTERNAL span for the logical call when it
// may retry or a routing decision was made; one SERVER span per inbound request. W3C trace
// context and baggage travel through the global propagator.
import {
  type Attributes,
  type Context,
  context as otelContext,
  ProxyTracerProvider,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { currentContext } from '../context/request-context.js';

const TRACER_NAME = 'inmesh';

export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

// What an unconfigured API delegates to: a fresh proxy's delegate is the API's no-op provider.
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * True when an SDK is installed. Without one every span would be a no-op; building attributes
 * and spans for nothing is most of what tracing costs a request, so callers skip it.
 */
export function tracingInstalled(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_PROVIDER;
}

/**
 * The parent of an outbound call: the inbound request's context (kept in the mesh's request
 * context, so it is found even without an SDK context manager), else the active OTel context.
 */
export function parentContext(): Context {
  return (currentContext()?.otel as Context | undefined) ?? otelContext.active();
}

const setter = {
  set(carrier: string[], key: string, value: string) {
    carrier.push(key.toLowerCase(), value);
  },
};

/** Appends traceparent, tracestate and baggage for `ctx` to a flat header list (none without a propagator). */
export function injectPropagationHeaders(ctx: Context, headers: string[]): void {
  propagation.inject(ctx, headers, setter);
}

const getter = {
  keys: (carrier: Record<string, string | string[] | undefined>) => Object.keys(carrier),
  get: (carrier: Record<string, string | string[] | undefined>, key: string) => carrier[key],
};

/** The context carried by inbound request headers (W3C trace context, baggage). */
export function extractContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers, getter);
}

/** Marks a span failed with an error type (semconv `error.type`). */
export function failSpan(span: Span, errorType: string, message?: string): void {
  span.setAttribute('error.type', errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(message ? { message } : {}) });
}

export function startSpan(name: string, kind: SpanKind, attributes: Attributes, parent: Context, startTime?: number): Span {
  return tracer().startSpan(name, { kind, attributes, ...(startTime !== undefined ? { startTime } : {}) }, parent);
}

export { type Context, otelContext, type Span, SpanKind, trace };
