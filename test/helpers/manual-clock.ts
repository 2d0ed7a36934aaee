// test helper: a Clock whose time moves only when a test says so, and a seeded Random.
import type { Clock, Random, TimerHandle } from '../../src/util/clock.js';

interface Timer extends TimerHandle {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** A manual clock: `advance(ms)` moves time and fires the timers that fall due, in order. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = 1_000) {
    // Starts above 0: code under test may treat 0 as "never".
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, unref: () => timer };
    this.#timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t !== handle);
  }

  /** Timers not yet fired nor cleared. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing each due timer at its own time (timers it sets included). */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.#timers) if (t.at <= until && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = next.at;
      next.fn();
    }
    this.#now = until;
  }
}

/** A deterministic Random (mulberry32): same seed, same sequence, values in [0, 1). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A Random that returns `values` in turn, then repeats the last one. */
export function sequenceRandom(...values: number[]): Random {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] as number;
}
