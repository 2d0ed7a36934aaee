// util: time and randomness, passed in so that every decision can be tested without sleeping.
import { performance } from 'node:perf_hooks';

/** Monotonic milliseconds, and timers. Tests inject a manual clock. */
export interface Clock {
  /** Milliseconds on a monotonic scale (not the epoch). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** What a timer returns; `unref` lets the process exit while it is pending. */
export interface TimerHandle {
  unref?(): unknown;
}

/** The process clock. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A number in [0, 1). */
export type Random = () => number;

export const systemRandom: Random = Math.random;
