import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BreakerOptions, EndpointBreaker } from '../../src/resilience/circuit-breaker.js';

// opossum keeps its own time: the reset timeout is a real setTimeout and its latency figures use
// Date.now(). It takes no injected clock, so these tests fake those two with vi.useFakeTimers().
// setImmediate stays real: `settle()` uses it to let opossum's promise callbacks run.

const RESET_MS = 5_000;
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('EndpointBreaker', () => {
  let rotation: EventEmitter;
  let changes: number;
  let breaker: EndpointBreaker;

  function create(options: Partial<BreakerOptions> = {}): EndpointBreaker {
    breaker = new EndpointBreaker(
      { errorThresholdPercentage: 50, volumeThreshold: 4, windowMs: 10_000, resetTimeoutMs: RESET_MS, ...options },
      rotation,
      () => changes++,
    );
    return breaker;
  }

  async function run(outcomes: readonly ('ok' | 'fail')[]): Promise<void> {
    for (const outcome of outcomes) {
      const ticket = breaker.begin();
      if (outcome === 'ok') ticket.success();
      else ticket.failure(new Error('server-error'));
      await settle();
    }
  }

  /** Opens the breaker with four failures. */
  async function open(): Promise<void> {
    await run(['fail', 'fail', 'fail', 'fail']);
    expect(breaker.isOpen).toBe(true);
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    rotation = new EventEmitter();
    changes = 0;
  });

  afterEach(() => {
    breaker?.shutdown();
    vi.useRealTimers();
  });

  it('starts closed', () => {
    create();
    expect(breaker.allowsRequest).toBe(true);
    expect(breaker.isOpen).toBe(false);
    expect(breaker.halfOpen).toBe(false);
  });

  it('stays closed below the volume threshold, whatever the error rate', async () => {
    create({ volumeThreshold: 4 });
    await run(['fail', 'fail', 'fail']);
    expect(breaker.isOpen).toBe(false);
    expect(breaker.allowsRequest).toBe(true);
    expect(changes).toBe(0);
  });

  it('stays closed at the error threshold, and opens past it', async () => {
    create({ errorThresholdPercentage: 50, volumeThreshold: 4 });
    await run(['ok', 'ok', 'fail', 'fail']); // 50%: not past the threshold
    expect(breaker.isOpen).toBe(false);
    await run(['fail']); // 3 of 5 = 60%
    expect(breaker.isOpen).toBe(true);
    expect(changes).toBe(1);
  });

  it('rejects every request while open', async () => {
    create();
    await open();
    expect(breaker.allowsRequest).toBe(false);
    expect(breaker.halfOpen).toBe(false);
    vi.advanceTimersByTime(RESET_MS - 1);
    expect(breaker.allowsRequest).toBe(false);
    expect(breaker.isOpen).toBe(true);
  });

  it('turns half-open after the reset timeout and allows a request', async () => {
    create();
    await open();
    vi.advanceTimersByTime(RESET_MS);
    expect(breaker.halfOpen).toBe(true);
    expect(breaker.isOpen).toBe(false);
    expect(breaker.allowsRequest).toBe(true);
    expect(changes).toBe(2); // open, half-open
  });

  it('lets exactly one probe through while half-open', async () => {
    create();
    await open();
    vi.advanceTimersByTime(RESET_MS);
    breaker.begin();
    expect(breaker.allowsRequest).toBe(false);
    expect(breaker.halfOpen).toBe(true);
  });

  it('closes when the probe succeeds', async () => {
    create();
    await open();
    vi.advanceTimersByTime(RESET_MS);
    await run(['ok']);
    expect(breaker.halfOpen).toBe(false);
    expect(breaker.isOpen).toBe(false);
    expect(breaker.allowsRequest).toBe(true);
    expect(changes).toBe(3); // open, half-open, closed
  });

  it('starts from a clean record once the probe closed it', async () => {
    create({ volumeThreshold: 4 });
    await open();
    vi.advanceTimersByTime(RESET_MS);
    await run(['ok']);
    // The four failures that opened it no longer count: three new ones are below the volume.
    await run(['fail', 'fail', 'fail']);
    expect(breaker.isOpen).toBe(false);
    await run(['fail']);
    expect(breaker.isOpen).toBe(true);
  });

  it('re-opens when the probe fails, and probes again after another reset timeout', async () => {
    create();
    await open();
    vi.advanceTimersByTime(RESET_MS);
    await run(['fail']);
    expect(breaker.isOpen).toBe(true);
    expect(breaker.allowsRequest).toBe(false);
    expect(changes).toBe(3); // open, half-open, open
    vi.advanceTimersByTime(RESET_MS);
    expect(breaker.halfOpen).toBe(true);
    expect(breaker.allowsRequest).toBe(true);
  });

  it('forgets failures that rotated out of the window (rotation is shared, by event)', async () => {
    create({ volumeThreshold: 4 });
    await run(['fail', 'fail', 'fail']);
    for (let i = 0; i < 10; i++) rotation.emit('rotate'); // 10 buckets: a whole window
    await run(['fail']);
    expect(breaker.isOpen).toBe(false);
    // Without rotation the same four failures open it.
    await run(['fail', 'fail', 'fail']);
    expect(breaker.isOpen).toBe(true);
  });

  it('close() closes an open breaker at once', async () => {
    create();
    await open();
    breaker.close();
    expect(breaker.isOpen).toBe(false);
    expect(breaker.allowsRequest).toBe(true);
    // The reset timer was cleared: it does not turn a closed breaker half-open later.
    vi.advanceTimersByTime(RESET_MS);
    expect(breaker.halfOpen).toBe(false);
  });

  it('shutdown() stops listening to the shared rotation', () => {
    create();
    expect(rotation.listenerCount('rotate')).toBe(1);
    breaker.shutdown();
    expect(rotation.listenerCount('rotate')).toBe(0);
  });
});
