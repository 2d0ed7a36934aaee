// resilience: the one outcome classifier, shared by retry, budget, circuit breaker, outlier
// detection and metrics, so they never disagree about what a failure is.

/**
 * How far an attempt got. Only this answers "is it safe to retry": a request that was never
 * written cannot have been processed; one that was written may have been.
 */
export type AttemptProgress = 'not-sent' | 'sent' | 'responded';

/** What kind of result an attempt had. */
export type OutcomeKind =
  | 'success'
  /** A response that is not a failure for the endpoint (e.g. 404, 429). */
  | 'status'
  /** 5xx response. */
  | 'server-error'
  /** Could not connect, or failed before the request was written. */
  | 'connect-failure'
  /** HTTP/2 REFUSED_STREAM: the server guarantees it did not process the request. */
  | 'refused-stream'
  /** The connection failed after the request was written. */
  | 'reset'
  /** The per-try timeout fired before a response. */
  | 'timeout'
  /** Cancelled by the caller or the call's deadline: not the endpoint's fault. */
  | 'cancelled'
  /** Invalid request (bad header, ...): retrying cannot help and the endpoint is not to blame. */
  | 'invalid';

export interface Outcome {
  readonly kind: OutcomeKind;
  readonly progress: AttemptProgress;
  readonly status: number;
  /** Counts against the endpoint (breaker, consecutive 5xx). */
  readonly failure: boolean;
  /** A gateway error in Envoy's sense: 502/503/504 or a transport failure. */
  readonly gatewayError: boolean;
}

function make(kind: OutcomeKind, progress: AttemptProgress, status = 0): Outcome {
  const transport = kind === 'connect-failure' || kind === 'refused-stream' || kind === 'reset' || kind === 'timeout';
  return {
    kind,
    progress,
    status,
    failure: transport || kind === 'server-error',
    gatewayError: transport || status === 502 || status === 503 || status === 504,
  };
}

const SUCCESS = make('success', 'responded', 200);

/** An attempt given up before it was written (e.g. still connecting when its timer fired). */
export const NOT_SENT: Outcome = make('connect-failure', 'not-sent');

/** Outcome of an attempt that received a response with `status`. */
export function classifyStatus(status: number): Outcome {
  if (status < 400) return status === 200 ? SUCCESS : make('success', 'responded', status);
  return make(status >= 500 ? 'server-error' : 'status', 'responded', status);
}

// Error codes of undici and the OS that mean the connection failed.
const TRANSPORT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_INFO',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** Marks errors the mesh raised to cancel an attempt (user abort, deadline). */
export const kCancelled = Symbol('inmesh.cancelled');
/** Marks the error the per-try timer raised. */
export const kPerTryTimeout = Symbol('inmesh.perTryTimeout');

/** Outcome of an attempt that failed with `err` after getting as far as `progress`. */
export function classifyError(err: unknown, progress: AttemptProgress): Outcome {
  const e = err as { code?: string; [kCancelled]?: boolean; [kPerTryTimeout]?: boolean } | null;
  if (e?.[kPerTryTimeout]) return make('timeout', progress);
  if (e?.[kCancelled] || e?.code === 'UND_ERR_ABORTED' || (err as Error)?.name === 'AbortError') {
    return make('cancelled', progress);
  }
  const code = e?.code;
  if (code === 'ERR_HTTP2_STREAM_ERROR' && /REFUSED_STREAM/.test(String((err as Error).message))) {
    return make('refused-stream', progress);
  }
  if (progress === 'not-sent') {
    return code !== undefined && !TRANSPORT_CODES.has(code) && code.startsWith('UND_ERR_INVALID')
      ? make('invalid', progress)
      : make('connect-failure', progress);
  }
  if (code?.startsWith('UND_ERR_INVALID') || code === 'UND_ERR_NOT_SUPPORTED') return make('invalid', progress);
  return make('reset', progress);
}

/** Methods RFC 9110 defines as idempotent. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * True when repeating the request is harmless: an idempotent method, or a request carrying an
 * `Idempotency-Key` (IETF httpapi draft), whose server deduplicates repeats.
 */
export function isIdempotent(method: string, hasIdempotencyKey: boolean): boolean {
  return IDEMPOTENT.has(method) || hasIdempotencyKey;
}
