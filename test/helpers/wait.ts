// Test helper: bounded waits. Wait on an event when there is one; poll a condition (with a
// deadline) only when there is none. Neither is a sleep: both return as soon as the thing happens.
import type { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';

/** Default deadline: well above a 1 s DNS TTL plus a retry, well below vitest's 30 s test timeout. */
const DEFAULT_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 20;

/**
 * Resolves with the first `event` whose arguments satisfy `predicate`; rejects after `timeoutMs`.
 * Start it before the action that triggers the event, so the event cannot be missed.
 */
export function waitForEvent<T extends unknown[]>(
  emitter: EventEmitter,
  event: string,
  predicate: (...args: T) => boolean = () => true,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onEvent = (...args: unknown[]) => {
      if (!predicate(...(args as T))) return;
      clearTimeout(timer);
      emitter.off(event, onEvent);
      resolve(args as T);
    };
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    emitter.on(event, onEvent);
  });
}

/** Polls `condition` until it returns a truthy value (returned) or `timeoutMs` passes (throws). */
export async function waitUntil<T>(condition: () => T | Promise<T>, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`, { cause: last });
    }
    await delay(POLL_INTERVAL_MS);
  }
}

/** Runs cleanups in reverse order of registration; register each right after acquiring it. */
export class Cleanup {
  readonly #tasks: (() => unknown)[] = [];

  add(task: () => unknown): void {
    this.#tasks.push(task);
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    while (this.#tasks.length > 0) {
      const task = this.#tasks.pop() as () => unknown;
      try {
        await task();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
  }
}
