import { describe, expect, it } from 'vitest';
import { classifyError, classifyStatus, kPerTryTimeout, NOT_SENT, type Outcome } from '../../src/resilience/outcome.js';
import { RetryBudget } from '../../src/resilience/retry-budget.js';
import { isRetryable, type RetryCondition, type RetryPolicy } from '../../src/resilience/retry-policy.js';
import { ManualClock } from '../helpers/manual-clock.js';

function policy(conditions: RetryCondition[], statuses: number[] = []): RetryPolicy {
  return {
    attempts: 3,
    perTryTimeoutMs: undefined,
    conditions: new Set(conditions),
    statuses: new Set(statuses),
    backoffBaseMs: 25,
    backoffMaxMs: 250,
    maxRetryAfterMs: 5_000,
    budget: new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 10, ttlMs: 10_000 }, new ManualClock()),
  };
}

const err = (code: string, message = code) => Object.assign(new Error(message), { code });
const CONNECT_FAILURE = classifyError(err('ECONNREFUSED'), 'not-sent');
const REFUSED_STREAM = classifyError(err('ERR_HTTP2_STREAM_ERROR', 'Stream closed with error code NGHTTP2_REFUSED_STREAM'), 'sent');
const RESET = classifyError(err('ECONNRESET'), 'sent');
const TIMEOUT = classifyError(Object.assign(new Error('per-try timeout'), { [kPerTryTimeout]: true }), 'sent');
const CANCELLED = classifyError(err('UND_ERR_ABORTED'), 'sent');
const INVALID = classifyError(err('UND_ERR_INVALID_ARG'), 'not-sent');

const ALL: RetryCondition[] = ['connect-failure', 'refused-stream', 'reset', 'timeout', '5xx', 'gateway-error'];

describe('isRetryable', () => {
  describe('connect failures', () => {
    it('are safe to retry for any method, POST included', () => {
      expect(isRetryable(policy(['connect-failure']), CONNECT_FAILURE, false)).toBe(true);
      expect(isRetryable(policy(['connect-failure']), CONNECT_FAILURE, true)).toBe(true);
    });

    it('include an attempt given up before it was sent', () => {
      expect(isRetryable(policy(['connect-failure']), NOT_SENT, false)).toBe(true);
    });

    it('are not retried unless the policy lists them', () => {
      expect(isRetryable(policy(['reset', '5xx']), CONNECT_FAILURE, true)).toBe(false);
    });
  });

  describe('refused streams', () => {
    it('are safe for any method under refused-stream, or under connect-failure', () => {
      expect(isRetryable(policy(['refused-stream']), REFUSED_STREAM, false)).toBe(true);
      expect(isRetryable(policy(['connect-failure']), REFUSED_STREAM, false)).toBe(true);
      expect(isRetryable(policy(['reset']), REFUSED_STREAM, true)).toBe(false);
    });
  });

  describe('resets', () => {
    it('are retried only for idempotent requests', () => {
      expect(isRetryable(policy(['reset']), RESET, true)).toBe(true);
      expect(isRetryable(policy(['reset']), RESET, false)).toBe(false);
    });

    it('need the reset condition', () => {
      expect(isRetryable(policy(['connect-failure', 'timeout']), RESET, true)).toBe(false);
    });
  });

  describe('per-try timeouts', () => {
    it('are retried only for idempotent requests', () => {
      expect(isRetryable(policy(['timeout']), TIMEOUT, true)).toBe(true);
      expect(isRetryable(policy(['timeout']), TIMEOUT, false)).toBe(false);
    });

    it('need the timeout condition', () => {
      expect(isRetryable(policy(['reset']), TIMEOUT, true)).toBe(false);
    });
  });

  describe('responses', () => {
    it('5xx retries any server error of an idempotent request', () => {
      for (const status of [500, 501, 502, 503, 504, 599]) {
        expect(isRetryable(policy(['5xx']), classifyStatus(status), true)).toBe(true);
      }
      expect(isRetryable(policy(['5xx']), classifyStatus(503), false)).toBe(false);
    });

    it('5xx does not retry a 4xx', () => {
      expect(isRetryable(policy(['5xx']), classifyStatus(429), true)).toBe(false);
    });

    it('gateway-error retries 502, 503 and 504 only', () => {
      const p = policy(['gateway-error']);
      expect([502, 503, 504].map((s) => isRetryable(p, classifyStatus(s), true))).toEqual([true, true, true]);
      expect([500, 501, 429].map((s) => isRetryable(p, classifyStatus(s), true))).toEqual([false, false, false]);
      expect(isRetryable(p, classifyStatus(503), false)).toBe(false);
    });

    it('a listed status is retried, 4xx included, for idempotent requests only', () => {
      const p = policy([], [429, 503]);
      expect(isRetryable(p, classifyStatus(429), true)).toBe(true);
      expect(isRetryable(p, classifyStatus(503), true)).toBe(true);
      expect(isRetryable(p, classifyStatus(500), true)).toBe(false);
      expect(isRetryable(p, classifyStatus(404), true)).toBe(false);
      expect(isRetryable(p, classifyStatus(429), false)).toBe(false);
    });
  });

  it('never retries a success, a cancelled or an invalid attempt', () => {
    const p = policy(ALL, [200, 404]);
    const never: Outcome[] = [classifyStatus(200), classifyStatus(204), CANCELLED, INVALID];
    for (const outcome of never) expect(isRetryable(p, outcome, true)).toBe(false);
  });

  it('retries nothing with an empty policy', () => {
    const p = policy([]);
    for (const outcome of [CONNECT_FAILURE, REFUSED_STREAM, RESET, TIMEOUT, classifyStatus(503)]) {
      expect(isRetryable(p, outcome, true)).toBe(false);
    }
  });
});
