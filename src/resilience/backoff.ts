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

/** Seconds in a Retry-After header (delta-seconds or HTTP-date) as ms; undefined if unusable. */
export function parseRetryAfter(value: string | undefined, nowEpochMs: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowEpochMs);
}
