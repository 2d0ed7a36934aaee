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
/** Node timers may fire up to ~1 ms before the clock reads their time; within this, they are due. */
const EARLY_MS = 1;

/**
 * A lane's entry, linked to the one scheduled after it. A list, not an array: appending is two
 * field stores on young objects, where pushing into a long-lived array cost the push builtin,
 * growth and a write barrier per call, and kept dead entries reachable until compaction.
 */
class Entry implements QueuedTimer {
  next: Entry | undefined = undefined;
  constructor(
    readonly at: number,
    public target: TimerTarget | undefined,
    private readonly lane: Lane,
  ) {}
  cancel(): void {
    if (this.target === undefined) return;
    this.target = undefined;
    // Calls mostly end in the order they started: the head is usually what was just cancelled.
    this.lane.prune();
  }
}

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

/** The entries of one duration, oldest first, and the clock timer armed for the oldest. */
class Lane {
  #head: Entry | undefined;
  #tail: Entry | undefined;
  #armed = false;

  constructor(private readonly clock: Clock) {}

  add(now: number, delayMs: number, target: TimerTarget): Entry {
    const entry = new Entry(now + delayMs, target, this);
    if (this.#tail === undefined) this.#head = entry;
    else this.#tail.next = entry;
    this.#tail = entry;
    // An armed timer is due no later than the oldest entry (same duration, set earlier): it
    // re-arms for what is left when it fires. A timer left from entries since cancelled fires
    // once, idle. Unarmed (first entry, or added while the lane fires), arm for the oldest.
    if (!this.#armed) this.#arm((this.#head as Entry).at - now);
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
    try {
      for (let entry = this.#head; entry !== undefined; entry = this.#head) {
        if (entry.target !== undefined && entry.at - now > EARLY_MS) break;
        this.#pop(entry);
        const target = entry.target;
        entry.target = undefined;
        target?.onTimeout();
      }
    } finally {
      this.prune();
      if (!this.#armed && this.#head !== undefined) this.#arm(this.#head.at - now);
    }
  }

  #pop(entry: Entry): void {
    this.#head = entry.next;
    entry.next = undefined;
    if (this.#head === undefined) this.#tail = undefined;
  }

  /** Drops cancelled entries from the head, so the lane holds about what is live. */
  prune(): void {
    for (let entry = this.#head; entry !== undefined && entry.target === undefined; entry = this.#head) this.#pop(entry);
  }

  /** Entries held, live or cancelled (tests). */
  get size(): number {
    let n = 0;
    for (let entry = this.#head; entry !== undefined; entry = entry.next) n++;
    return n;
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
