// util: timers for the request path (call deadlines, per-try timeouts). A Node timer per call
// costs three calls into C++ (arming it, unref, reading the loop's clock) and an object with an
// async id for the GC to trace, for a timer that almost never fires. These timeouts come in a few
// durations fixed by the config, and timers of one duration expire in the order they were set:
// so each duration gets a FIFO lane with one clock timer, armed for its oldest live entry.
// Cancelling marks the entry; cancelled entries are dropped when they reach the front.
import type { Clock, TimerHandle } from './clock.js';

/** A scheduled timeout; `cancel()` is idempotent and safe after it fired. */
export interface QueuedTimer {
  cancel(): void;
}

/**
 * What a timeout calls. An object rather than a closure: the request path's handlers implement
 * it themselves, so scheduling a timeout allocates no function per call.
 */
export interface TimerTarget {
  onTimeout(): void;
}

/** Lanes kept at most; further durations (deadlines inherited from callers vary) get their own timer. */
const MAX_LANES = 32;
/** A lane whose front has advanced this far is compacted (its array sliced). */
const COMPACT_AFTER = 1024;
/** Node timers may fire up to ~1 ms before the clock reads their time; within this, they are due. */
const EARLY_MS = 1;

class Entry implements QueuedTimer {
  constructor(
    readonly at: number,
    public target: TimerTarget | undefined,
    private readonly lane: Lane,
  ) {}
  cancel(): void {
    if (this.target === undefined) return;
    this.target = undefined;
    // Calls mostly end in the order they started: the front is usually what was just cancelled.
    this.lane.prune();
  }
}

/** What a slot behind a lane's front holds once its entry is done (an Entry: one shape in the array). */
const DONE = new Entry(0, undefined, undefined as unknown as Lane);

/** A single-timer fallback, for durations beyond the lanes. */
class DirectTimer implements QueuedTimer {
  readonly #handle: TimerHandle;
  constructor(
    private readonly clock: Clock,
    target: TimerTarget,
    ms: number,
  ) {
    this.#handle = clock.setTimeout(() => target.onTimeout(), ms);
    this.#handle.unref?.();
  }
  cancel(): void {
    this.clock.clearTimeout(this.#handle);
  }
}

class Lane {
  #entries: Entry[] = [];
  #front = 0;
  #armed = false;

  constructor(private readonly clock: Clock) {}

  add(now: number, delayMs: number, target: TimerTarget): Entry {
    const entry = new Entry(now + delayMs, target, this);
    this.#entries.push(entry);
    // An armed timer is due no later than the oldest entry (same duration, set earlier): it
    // re-arms for what is left when it fires. A timer left from entries since cancelled fires
    // once, idle. Unarmed (first entry, or added while the lane fires), arm for the oldest.
    if (!this.#armed) this.#arm((this.#entries[this.#front] as Entry).at - now);
    return entry;
  }

  #arm(ms: number): void {
    this.#armed = true;
    const handle = this.clock.setTimeout(() => this.#fire(), Math.max(1, Math.ceil(ms)));
    handle.unref?.();
  }

  #fire(): void {
    this.#armed = false;
    const now = this.clock.now();
    const entries = this.#entries;
    try {
      while (this.#front < entries.length) {
        const entry = entries[this.#front] as Entry;
        if (entry.target !== undefined && entry.at - now > EARLY_MS) break;
        entries[this.#front++] = DONE;
        const target = entry.target;
        entry.target = undefined;
        target?.onTimeout();
      }
    } finally {
      this.prune();
      if (!this.#armed && this.#front < this.#entries.length) this.#arm((this.#entries[this.#front] as Entry).at - now);
    }
  }

  /** Drops cancelled and consumed entries from the front, so the lane holds about what is live. */
  prune(): void {
    const entries = this.#entries;
    // A slot behind the front is cleared: the array lives long (old space), and an entry it
    // still pointed to would survive every scavenge until compaction.
    while (this.#front < entries.length && (entries[this.#front] as Entry).target === undefined) entries[this.#front++] = DONE;
    if (this.#front === entries.length) {
      entries.length = 0;
      this.#front = 0;
    } else if (this.#front >= COMPACT_AFTER) {
      entries.splice(0, this.#front);
      this.#front = 0;
    }
  }

  /** Entries held, live or cancelled (tests). */
  get size(): number {
    return this.#entries.length - this.#front;
  }
}

/** Timers of a few recurring durations, one clock timer per duration. */
export class TimerQueue {
  readonly #lanes = new Map<number, Lane>();
  // Most calls of a stage share one duration (the route's timeout): skip the map for it.
  #lastKey = Number.NaN;
  #lastLane: Lane | undefined;

  constructor(private readonly clock: Clock) {}

  /**
   * Calls `target.onTimeout()` after `delayMs` unless cancelled first. `now` is the clock's
   * current reading when the caller has just taken it (one reading serves a whole dispatch).
   * Timers do not keep the process alive.
   */
  schedule(delayMs: number, target: TimerTarget, now: number = this.clock.now()): QueuedTimer {
    const key = Math.round(delayMs);
    let lane = key === this.#lastKey ? this.#lastLane : this.#lanes.get(key);
    if (lane === undefined) {
      if (this.#lanes.size >= MAX_LANES) return new DirectTimer(this.clock, target, delayMs);
      lane = new Lane(this.clock);
      this.#lanes.set(key, lane);
    }
    this.#lastKey = key;
    this.#lastLane = lane;
    return lane.add(now, delayMs, target);
  }

  /** Entries held across lanes, live or cancelled (tests: the queue must not grow without end). */
  get size(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.size;
    return n;
  }
}
