// resilience: the retry decision. Pure: given an attempt's outcome and the request's idempotency,
// may we try again? (Whether the budget, attempts and deadline allow it is the retry stage's job.)
import type { RETRY_CONDITIONS } from '../config/schema.js';
import type { Outcome } from './outcome.js';
import type { RetryBudget } from './retry-budget.js';

export type RetryCondition = (typeof RETRY_CONDITIONS)[number];

/** A compiled retry policy of a route. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly perTryTimeoutMs: number | undefined;
  readonly conditions: ReadonlySet<RetryCondition>;
  readonly statuses: ReadonlySet<number>;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly maxRetryAfterMs: number;
  /** Shared by every route of the service. */
  readonly budget: RetryBudget;
}

/**
 * True when `outcome` is one the policy retries and retrying is safe. Connect failures and
 * refused streams never reached the application, so they are safe for every method; anything
 * later may have been processed, so only idempotent requests are retried.
 */
export function isRetryable(policy: RetryPolicy, outcome: Outcome, idempotent: boolean): boolean {
  switch (outcome.kind) {
    case 'connect-failure':
      return policy.conditions.has('connect-failure');
    case 'refused-stream':
      return policy.conditions.has('refused-stream') || policy.conditions.has('connect-failure');
    case 'reset':
      return idempotent && policy.conditions.has('reset');
    case 'timeout':
      return idempotent && policy.conditions.has('timeout');
    case 'server-error':
    case 'status':
      return (
        idempotent &&
        (policy.statuses.has(outcome.status) ||
          (outcome.kind === 'server-error' && policy.conditions.has('5xx')) ||
          (outcome.gatewayError && policy.conditions.has('gateway-error')))
      );
    default:
      return false;
  }
}
