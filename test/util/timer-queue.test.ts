import { describe, expect, it } from 'vitest';
import { TimerQueue, type TimerTarget } from '../../src/util/timer-queue.js';
import { ManualClock } from '../helpers/manual-clock.js';

const on = (fn: () => void): TimerTarget => ({ onTimeout: fn });

describe('TimerQueue', () => {
  it('fires each timer at its time, in order, and never a cancelled one', () => {
    const clock = new ManualClock();
    const queue = new TimerQueue(clock);
    const fired: string[] = [];
    queue.schedule(
      100,
      on(() => fired.push(`a@${clock.now()}`)),
    );
    clock.advance(30);
    const b = queue.schedule(
      100,
      on(() => fired.push(`b@${clock.now()}`)),
    );
    clock.advance(30);
    queue.schedule(
      100,
      on(() => fired.push(`c@${clock.now()}`)),
    );
    queue.schedule(
      50,
      on(() => fired.push(`d@${clock.now()}`)),
    );
    b.cancel();
    clock.advance(1_000);
    // d (50 ms, set at 1060) is due at 1110; a at 1100; c at 1160; b never.
    expect(fired).toEqual(['a@1100', 'd@1110', 'c@1160']);
  });

  it('uses one clock timer per duration, not one per call', () => {
    const clock = new ManualClock();
    const queue = new TimerQueue(clock);
    const timers = Array.from({ length: 100 }, () =>
      queue.schedule(
        2_000,
        on(() => {}),
      ),
    );
    expect(clock.pending).toBe(1);
    for (const t of timers) t.cancel();
    expect(queue.size).toBe(0);
  });

  it('keeps only live entries when calls end in the order they started', () => {
    const clock = new ManualClock();
    const queue = new TimerQueue(clock);
    const live: { cancel(): void }[] = [];
    // 32 calls in flight, 10,000 calls in all, none reaching its timeout.
    for (let i = 0; i < 10_000; i++) {
      live.push(
        queue.schedule(
          2_000,
          on(() => expect.unreachable('no call timed out')),
        ),
      );
      if (live.length > 32) live.shift()?.cancel();
      clock.advance(0.1);
    }
    expect(queue.size).toBeLessThanOrEqual(33);
    for (const t of live) t.cancel();
    clock.advance(5_000);
    expect(queue.size).toBe(0);
  });

  it('releases what a long call at the front held back once it ends', () => {
    const clock = new ManualClock();
    const queue = new TimerQueue(clock);
    const slow = queue.schedule(
      60_000,
      on(() => {}),
    );
    for (let i = 0; i < 5_000; i++)
      queue
        .schedule(
          60_000,
          on(() => {}),
        )
        .cancel();
    // Cancelled entries behind a live one wait for it, but the lane is compacted as it advances.
    expect(queue.size).toBe(5_001);
    slow.cancel();
    expect(queue.size).toBe(0);
  });

  it('fires a timer set by a firing one, and an older one not yet due, on time', () => {
    const clock = new ManualClock();
    const queue = new TimerQueue(clock);
    const fired: string[] = [];
    queue.schedule(
      100,
      on(() => {
        fired.push(`a@${clock.now()}`);
        queue.schedule(
          100,
          on(() => fired.push(`c@${clock.now()}`)),
        );
      }),
    );
    clock.advance(10);
    queue.schedule(
      100,
      on(() => fired.push(`b@${clock.now()}`)),
    );
    clock.advance(1_000);
    expect(fired).toEqual(['a@1100', 'b@1110', 'c@1200']);
  });

  it('cancelling twice, or after firing, is harmless', () => {
    const clock = new ManualClock();
    const queue = new TimerQueue(clock);
    let n = 0;
    const t = queue.schedule(
      10,
      on(() => n++),
    );
    clock.advance(20);
    t.cancel();
    t.cancel();
    expect(n).toBe(1);
    expect(queue.size).toBe(0);
  });

  it('gives durations beyond its lanes their own timers', () => {
    const clock = new ManualClock();
    const queue = new TimerQueue(clock);
    const fired: number[] = [];
    // Inherited deadlines give many different budgets: lanes stop at a bound.
    for (let ms = 1; ms <= 100; ms++)
      queue.schedule(
        ms * 10,
        on(() => fired.push(ms)),
      );
    clock.advance(2_000);
    expect(fired).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});
