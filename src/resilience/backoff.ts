// resilience: exponential back-off with jitter, as an immutable iterator (cockatiel's shape):
// `next()` returns the following step and leaves this one as it was.
import type { Random } from '../util/clock.js';

/** ±20% jitter (gRFC A6): spreads retries of many callers so they do not arrive together. */
export const JITTER = 0.2;

/** `ms` moved by up to ±`fraction` of itself; a pure function of its inputs. */
export function jitter(ms: number, fraction: number, random: Random): number {
  return ms * (1 - fraction + 2 * fraction * random());
}

export interface Backoff {
  /** The delay before this retry, in ms, without jitter. */
  readonly delayMs: number;
  next(): Backoff;
}

/** base, 2·base, 4·base, ... capped at max. */
export function exponentialBackoff(baseMs: number, maxMs: number, delayMs = baseMs): Backoff {
  return {
    delayMs: Math.min(delayMs, maxMs),
    next: () => exponentialBackoff(baseMs, maxMs, Math.min(delayMs * 2, maxMs)),
  };
}

// The three HTTP-date forms (RFC 9110 §5.6.7): IMF-fixdate, RFC 850 and asctime. Date.parse alone
// takes "1.5" or "2030.5" for dates (so a malformed value could stop retries for years), and reads
// asctime, which has no zone, in local time although HTTP dates are GMT.
const IMF_OR_RFC850_DATE = /^[A-Za-z]{3,9}, \d{2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** Seconds in a Retry-After header (delta-seconds or HTTP-date) as ms; undefined if unusable. */
export function parseRetryAfter(value: string | undefined, nowEpochMs: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  let at = Number.NaN;
  if (IMF_OR_RFC850_DATE.test(trimmed)) at = Date.parse(trimmed);
  else if (ASCTIME_DATE.test(trimmed)) at = Date.parse(`${trimmed} GMT`);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowEpochMs);
}
