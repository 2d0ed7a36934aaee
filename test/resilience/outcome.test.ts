import { describe, expect, it } from 'vitest';
import {
  type AttemptProgress,
  classifyError,
  classifyStatus,
  isIdempotent,
  kCancelled,
  kPerTryTimeout,
  NOT_SENT,
} from '../../src/resilience/outcome.js';

const err = (code: string | undefined, message = 'boom') => Object.assign(new Error(message), code === undefined ? {} : { code });

describe('classifyStatus', () => {
  it('is a success below 400, keeping the status', () => {
    expect(classifyStatus(200)).toEqual({ kind: 'success', progress: 'responded', status: 200, failure: false, gatewayError: false });
    expect(classifyStatus(204)).toMatchObject({ kind: 'success', status: 204, failure: false });
    expect(classifyStatus(304)).toMatchObject({ kind: 'success', status: 304, failure: false });
  });

  it('is a plain status for 4xx: no failure of the endpoint', () => {
    for (const status of [400, 404, 429, 499]) {
      expect(classifyStatus(status)).toEqual({ kind: 'status', progress: 'responded', status, failure: false, gatewayError: false });
    }
  });

  it('is a server error for 5xx, counting against the endpoint', () => {
    expect(classifyStatus(500)).toEqual({ kind: 'server-error', progress: 'responded', status: 500, failure: true, gatewayError: false });
    expect(classifyStatus(501)).toMatchObject({ failure: true, gatewayError: false });
  });

  it('marks 502, 503 and 504 as gateway errors', () => {
    for (const status of [502, 503, 504]) expect(classifyStatus(status)).toMatchObject({ kind: 'server-error', gatewayError: true });
    expect(classifyStatus(505).gatewayError).toBe(false);
  });
});

describe('classifyError', () => {
  it('is a connect failure for a transport error before the request was sent', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNRESET', 'UND_ERR_SOCKET']) {
      expect(classifyError(err(code), 'not-sent')).toEqual({
        kind: 'connect-failure',
        progress: 'not-sent',
        status: 0,
        failure: true,
        gatewayError: true,
      });
    }
  });

  it('is a connect failure for an error without a code before sending', () => {
    expect(classifyError(new Error('?'), 'not-sent').kind).toBe('connect-failure');
    expect(classifyError(undefined, 'not-sent').kind).toBe('connect-failure');
  });

  it('is a reset for the same errors once the request was sent, or a response began', () => {
    const progresses: AttemptProgress[] = ['sent', 'responded'];
    for (const progress of progresses) {
      for (const code of ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_BODY_TIMEOUT']) {
        expect(classifyError(err(code), progress)).toMatchObject({ kind: 'reset', progress, failure: true, gatewayError: true });
      }
    }
    expect(classifyError(new Error('?'), 'sent').kind).toBe('reset');
  });

  it('is a timeout when the per-try timer fired, however far the attempt got', () => {
    const e = Object.assign(new Error('per try'), { [kPerTryTimeout]: true });
    expect(classifyError(e, 'sent')).toMatchObject({ kind: 'timeout', failure: true, gatewayError: true });
    expect(classifyError(e, 'not-sent')).toMatchObject({ kind: 'timeout', progress: 'not-sent' });
  });

  it("is cancelled for the mesh's own cancellation, an undici abort or an AbortError: no failure", () => {
    const mine = Object.assign(new Error('deadline'), { [kCancelled]: true });
    const abortError = new DOMException('aborted', 'AbortError');
    for (const e of [mine, err('UND_ERR_ABORTED'), abortError]) {
      expect(classifyError(e, 'sent')).toEqual({ kind: 'cancelled', progress: 'sent', status: 0, failure: false, gatewayError: false });
    }
  });

  it('prefers the per-try timeout to cancellation when both marks are set', () => {
    const e = Object.assign(new Error('x'), { [kPerTryTimeout]: true, [kCancelled]: true });
    expect(classifyError(e, 'sent').kind).toBe('timeout');
  });

  it('is a refused stream for HTTP/2 REFUSED_STREAM, at any progress', () => {
    const e = err('ERR_HTTP2_STREAM_ERROR', 'Stream closed with error code NGHTTP2_REFUSED_STREAM');
    expect(classifyError(e, 'sent')).toMatchObject({ kind: 'refused-stream', failure: true, gatewayError: true });
    expect(classifyError(e, 'not-sent').kind).toBe('refused-stream');
    // Another HTTP/2 stream error after sending may have been processed: a reset.
    expect(classifyError(err('ERR_HTTP2_STREAM_ERROR', 'NGHTTP2_INTERNAL_ERROR'), 'sent').kind).toBe('reset');
  });

  it('is invalid for undici argument errors: neither retried nor held against the endpoint', () => {
    expect(classifyError(err('UND_ERR_INVALID_ARG'), 'not-sent')).toEqual({
      kind: 'invalid',
      progress: 'not-sent',
      status: 0,
      failure: false,
      gatewayError: false,
    });
    expect(classifyError(err('UND_ERR_INVALID_RETURN_VALUE'), 'sent').kind).toBe('invalid');
    expect(classifyError(err('UND_ERR_NOT_SUPPORTED'), 'sent').kind).toBe('invalid');
  });

  it('treats an unknown non-undici code before sending as a connect failure', () => {
    expect(classifyError(err('ERR_SOMETHING'), 'not-sent').kind).toBe('connect-failure');
  });
});

describe('NOT_SENT', () => {
  it('is a connect failure that was never written', () => {
    expect(NOT_SENT).toMatchObject({ kind: 'connect-failure', progress: 'not-sent', failure: true, gatewayError: true });
  });
});

describe('isIdempotent', () => {
  it('is true for the methods RFC 9110 defines as idempotent', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']) expect(isIdempotent(method, false)).toBe(true);
  });

  it('is false for POST and PATCH, unless they carry an Idempotency-Key', () => {
    expect(isIdempotent('POST', false)).toBe(false);
    expect(isIdempotent('PATCH', false)).toBe(false);
    expect(isIdempotent('POST', true)).toBe(true);
  });
});
