// Every failure inmesh reports: one table of stable codes, one error class.
//
// Codes are part of the public API: they are never renamed or reused. A test checks that this
// table, the exported `ErrorCode` type and docs/errors.md agree.

/** What each error code means, how the gateway maps it to HTTP, and how to fix it. */
export const ERROR_CODES = {
  ERR_CONFIG_INVALID: {
    message: 'The configuration is invalid',
    status: 500,
    hint: 'Fix each problem listed (file, line, key path); `npx inmesh validate FILE` prints them all.',
  },
  ERR_CONFIG_READ: {
    message: 'The configuration file could not be read',
    status: 500,
    hint: 'Check the path and its permissions; paths are relative to the current directory.',
  },
  ERR_INVALID_ARGUMENT: {
    message: 'An argument passed to an inmesh API is invalid',
    status: 500,
    hint: 'Read the message: it names the argument and what it accepts.',
  },
  ERR_NO_SERVICE: {
    message: 'The host is not a mesh service and passthrough is disabled',
    status: 502,
    hint: 'Declare the service under `services:` or in a discovery source, or set `outbound.passthrough: true`.',
  },
  ERR_NO_ENDPOINTS: {
    message: 'The service has no endpoint to send to',
    status: 503,
    hint: 'Check discovery for the service (`/endpoints` on the admin server) and the subset labels its routes select.',
  },
  ERR_CIRCUIT_OPEN: {
    message: 'Every endpoint of the service has an open circuit',
    status: 503,
    hint: 'The upstream is failing; calls fail fast until a probe succeeds (circuitBreaker.resetTimeout).',
  },
  ERR_DEADLINE_EXCEEDED: {
    message: 'The deadline of the call passed before it completed',
    status: 504,
    hint: 'Raise the service or route `timeout`, or the deadline the caller set upstream.',
  },
  ERR_RETRY_BUDGET_EXHAUSTED: {
    message: 'The attempt failed and the retry budget allows no more retries',
    status: 503,
    hint: 'The upstream fails more often than the budget allows retries (retries.budget); the cause is the last failure.',
  },
  ERR_UPSTREAM_CONNECT: {
    message: 'Could not connect to an endpoint of the service',
    status: 503,
    hint: 'The endpoint refused or did not accept the connection; see the cause.',
  },
  ERR_UPSTREAM_RESET: {
    message: 'The connection to the endpoint failed after the request was sent',
    status: 502,
    hint: 'The upstream closed or reset the connection; a request that may have reached it is retried only if idempotent.',
  },
  ERR_UPSTREAM_TIMEOUT: {
    message: 'The endpoint did not answer within the per-try timeout',
    status: 504,
    hint: 'Raise `retries.perTryTimeout`, or find why the endpoint is slow.',
  },
  ERR_FAULT_INJECTED: {
    message: 'A fault injection rule aborted the call',
    status: 503,
    hint: 'A route of the service has `fault.abort`; remove it to stop injecting failures.',
  },
  ERR_MESH_CLOSED: {
    message: 'The mesh is closed',
    status: 503,
    hint: 'Calls made after `mesh.close()` fail; create a new mesh.',
  },
  ERR_DISCOVERY_FAILED: {
    message: 'Service discovery failed',
    status: 503,
    hint: 'The resolver could not produce endpoints; the last good set is kept when there is one.',
  },
  ERR_REQUEST_REJECTED: {
    message: 'The inbound request is malformed or ambiguous and was refused',
    status: 400,
    hint: 'Send one Host header, a request target for this host, and a path without encoded slashes, backslashes or NUL.',
  },
  ERR_AUTHZ_DENIED: {
    message: 'The caller is not allowed to make this request',
    status: 403,
    hint: 'Add a rule for the caller identity, method and path under `inbound.authorization`, or call with another identity.',
  },
  ERR_LOAD_SHED: {
    message: 'The service is at its rate or concurrency limit and refused the request',
    status: 503,
    hint: 'Retry after the Retry-After delay; raise the inbound rate or concurrency limit if the service can take more.',
  },
  ERR_TLS_MATERIAL: {
    message: 'The TLS material (CA, certificate, key) is unusable',
    status: 500,
    hint: 'Check the identity.tls files: readable, key matching the certificate, a SPIFFE ID of the trust domain, not expired.',
  },
  ERR_PEER_IDENTITY: {
    message: 'The peer did not prove the expected SPIFFE identity',
    status: 502,
    hint: "The server's certificate carries another SPIFFE ID than the service's (services.<name>.identity), or is not a valid SVID.",
  },
} as const satisfies Record<string, { message: string; status: number; hint: string }>;

/** A stable error code; see docs/errors.md. */
export type ErrorCode = keyof typeof ERROR_CODES;

// A brand rather than plain `instanceof`: when both the ESM and the CJS build are loaded in one
// process (a dual-package hazard), there are two InmeshError classes; the brand makes
// `err instanceof InmeshError` true for either.
const BRAND = Symbol.for('inmesh.error');

/** Options of an {@link InmeshError}. */
export interface InmeshErrorOptions {
  /** The error that caused this one, kept as-is. */
  cause?: unknown;
  /** Structured detail (service, endpoint, config problems, ...). */
  details?: Record<string, unknown>;
}

/** Every error inmesh raises. `code` is stable; `message` says what happened and what to fix. */
export class InmeshError extends Error {
  readonly code: ErrorCode;
  /** HTTP status a gateway answers with for this error. */
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, options: InmeshErrorOptions = {}) {
    const entry = ERROR_CODES[code];
    super(message ?? entry.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InmeshError';
    this.code = code;
    this.status = entry.status;
    this.details = options.details;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** True when `err` is an InmeshError, optionally with the given code. */
export function isInmeshError(err: unknown, code?: ErrorCode): err is InmeshError {
  return err instanceof InmeshError && (code === undefined || err.code === code);
}
