// http (telemetry stage, per call, outermost): sees the call as the caller sees it, retries and
// back-off included, and reports it once it ends: metrics, golden stats, access log, the call's
// INTERNAL span (started lazily by the transport stage), recent errors, and a CallEvent on the
// `inmesh:client:call` diagnostics channel. Without telemetry and channel subscribers the stage
// steps aside.
import { currentContext } from '../../context/request-context.js';
import { isInmeshError } from '../../errors.js';
import { type CallEvent, callChannel } from '../../telemetry/call-events.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { failSpan, parentContext, type Span, tracingInstalled } from '../../telemetry/tracing.js';
import type { Clock } from '../../util/clock.js';
import type { CallState } from '../call.js';
import { ForwardingHandler } from '../forwarding-handler.js';
import type { DispatchHandler } from '../handler.js';
import type { Stage } from './stage.js';

export interface TelemetryStageOptions {
  readonly clock: Clock;
  readonly telemetry: Telemetry | undefined;
  /** This service's name, for metric labels and logs. */
  readonly localService: string | undefined;
}

/**
 * Golden-stats series names of one stage (one service), built once per subset rather than per
 * call: a call looks its names up in one small map.
 */
class StatsKeys {
  readonly #bySubset = new Map<string, string>();
  #service: string | undefined;
  #serviceKey = '';

  /** The series of the whole service. */
  service(service: string): string {
    if (this.#service !== service) {
      this.#service = service;
      this.#serviceKey = `outbound:${service}`;
      this.#bySubset.clear();
    }
    return this.#serviceKey;
  }

  /** The series of one subset of it (call `service` first). */
  subset(subset: string): string {
    let key = this.#bySubset.get(subset);
    if (key === undefined) this.#bySubset.set(subset, (key = `${this.#serviceKey}/${subset}`));
    return key;
  }
}

class TelemetryHandler extends ForwardingHandler {
  #status = 0;
  #bytes = 0;
  #done = false;

  /** The inbound caller's identity, read when the call starts (access logs). */
  readonly onBehalfOf: string | undefined;

  constructor(
    handler: DispatchHandler,
    private readonly call: CallState,
    private readonly options: TelemetryStageOptions,
    private readonly statsKeys: StatsKeys,
  ) {
    super(handler);
    this.onBehalfOf = options.telemetry?.accessLog?.wants('outbound') ? currentContext()?.peer : undefined;
    options.telemetry?.metrics?.inFlight('outbound', 1);
  }

  #end(error: Error | undefined): void {
    if (this.#done) return;
    this.#done = true;
    const { call, options } = this;
    const telemetry = options.telemetry;
    const now = options.clock.now();
    const durationMs = now - call.startedAt;
    const status = this.#status;
    const subset = call.subset?.key ?? '';
    const attempts = call.attempts || (call.endpoint ? 1 : 0);
    const ok = error === undefined && status > 0 && status < 500;
    if (telemetry) {
      const local = options.localService ?? '';
      const metrics = telemetry.metrics;
      if (metrics) {
        metrics.inFlight('outbound', -1);
        metrics.clientCall(local, call.service, call.routeName, subset, call.method, status, durationMs / 1000);
        metrics.retries(call.service, subset, attempts - 1);
        if (call.budgetExhausted) metrics.budgetExhausted(call.service);
      }
      const keys = this.statsKeys;
      telemetry.stats.record(keys.service(call.service), durationMs, ok, now);
      if (subset) telemetry.stats.record(keys.subset(subset), durationMs, ok, now);
      const code = error ? ((isInmeshError(error) ? error.code : (error as { code?: string }).code) ?? error.name) : undefined;
      if (!ok) {
        telemetry.recordError({
          time: Date.now(),
          direction: 'outbound',
          service: call.service,
          status,
          code: code ?? (status >= 500 ? `HTTP ${status}` : undefined),
          message: error?.message ?? `${call.method} ${call.path} answered ${status}`,
        });
      }
      const span = call.span as Span | undefined;
      if (span) {
        if (status > 0) span.setAttribute('http.response.status_code', status);
        if (error) failSpan(span, code ?? 'Error', error.message);
        else if (status >= 500) failSpan(span, String(status));
        span.end();
      }
      const log = telemetry.accessLog;
      if (log?.wants('outbound')) {
        const spanContext = span?.spanContext();
        log.log({
          direction: 'outbound',
          service: options.localService,
          peer_service: call.service,
          // Whom the call is made for: the caller of the inbound request being handled.
          peer: this.onBehalfOf,
          route: call.routeName,
          subset,
          method: call.method,
          path: call.opts.path,
          status,
          duration_ms: Math.round(durationMs * 1000) / 1000,
          bytes_in: this.#bytes,
          retries: Math.max(0, attempts - 1),
          endpoint: call.endpoint?.id,
          trace_id: spanContext?.traceId,
          span_id: spanContext?.spanId,
          error: code,
        });
      }
    }
    if (callChannel.hasSubscribers) {
      const event: CallEvent = {
        service: call.service,
        route: call.routeName,
        subset,
        method: call.method,
        attempts,
        statusCode: status,
        endpoint: call.endpoint?.id,
        durationMs,
        error,
      };
      callChannel.publish(event);
    }
  }

  override onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: unknown): void {
    this.#status = statusCode;
    this.#end(undefined);
    this.handler.onUpgrade?.(statusCode, rawHeaders, socket);
  }
  override onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode >= 200) this.#status = statusCode;
    return this.handler.onHeaders?.(statusCode, rawHeaders, resume, statusText) ?? true;
  }
  override onData(chunk: Buffer): boolean {
    this.#bytes += chunk.length;
    return this.handler.onData?.(chunk) ?? true;
  }
  override onComplete(rawTrailers: Buffer[] | string[] | null): void {
    this.#end(undefined);
    this.handler.onComplete?.(rawTrailers);
  }
  override onError(err: Error): void {
    this.#end(err);
    this.handler.onError?.(err);
  }
}

export function telemetryStage(options: TelemetryStageOptions): Stage {
  const { telemetry } = options;
  const statsKeys = new StatsKeys();
  return (next) => (call, handler) => {
    if (telemetry === undefined && !callChannel.hasSubscribers) return next(call, handler);
    if (telemetry?.tracing && tracingInstalled()) {
      call.otelParent = parentContext();
      call.startEpochMs = Date.now();
    }
    return next(call, new TelemetryHandler(handler, call, options, statsKeys));
  };
}
