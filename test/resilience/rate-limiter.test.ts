import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/resilience/rate-limiter.js';
import { ManualClock } from '../helpers/manual-clock.js';

function setup(ratePerSecond: number, burst: number) {
  const clock = new ManualClock();
  const bucket = new TokenBucket(ratePerSecond, burst, clock);
  /** How many requests the bucket lets through in a row now. */
  const drain = () => {
    let n = 0;
    while (bucket.tryTake()) n++;
    return n;
  };
  return { clock, bucket, drain };
}

describe('TokenBucket', () => {
  it('starts full: lets a burst through at once, then refuses', () => {
    const { bucket, drain } = setup(10, 5);
    expect(drain()).toBe(5);
    expect(bucket.tryTake()).toBe(false);
  });

  it('refills at the rate: one token every 1000 / rate ms', () => {
    const { clock, bucket, drain } = setup(10, 5);
    drain();
    clock.advance(99);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(1);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(300);
    expect(drain()).toBe(3);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const { clock, drain } = setup(10, 5);
    drain();
    clock.advance(3_600_000);
    expect(drain()).toBe(5);
  });

  it('keeps the fraction of a token earned between takes', () => {
    const { clock, bucket, drain } = setup(10, 5);
    drain();
    clock.advance(60); // 0.6
    expect(bucket.tryTake()).toBe(false);
    clock.advance(40); // 1.0
    expect(bucket.tryTake()).toBe(true);
  });

  it('lets exactly `rate` requests a second through in steady state', () => {
    const { clock, drain } = setup(50, 1);
    drain();
    let admitted = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      clock.advance(1);
      admitted += drain();
    }
    expect(admitted).toBe(500);
  });

  it('with a fractional rate, refills slower than one a second', () => {
    const { clock, bucket, drain } = setup(0.5, 1);
    drain();
    clock.advance(1_999);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(1);
    expect(bucket.tryTake()).toBe(true);
  });

  // Regression: the lazy refill adds elapsed x rate / 1000 in steps, and the float sum can fall a
  // hair short of 1 (ten steps of 0.1 make 0.9999999999999999): a request arriving exactly on time
  // was refused.
  it.each([
    [100, 10],
    [0.5, 2000],
    [3, 334],
    [7, 143],
  ])('grants a token on time when refilled in 1 ms steps (rate %s/s: after %s ms)', (rate, ms) => {
    const { clock, bucket, drain } = setup(rate, 1);
    drain();
    for (let i = 1; i < ms; i++) {
      clock.advance(1);
      expect(bucket.tryTake(), `after ${i} ms`).toBe(false);
    }
    clock.advance(1);
    expect(bucket.tryTake()).toBe(true);
  });

  describe('waitMs', () => {
    it('is 0 while a token is left', () => {
      const { bucket } = setup(10, 2);
      expect(bucket.waitMs).toBe(0);
      bucket.tryTake();
      expect(bucket.waitMs).toBe(0);
    });

    it('is the time to the next token once empty', () => {
      const { clock, bucket, drain } = setup(10, 2);
      drain();
      expect(bucket.waitMs).toBe(100);
      clock.advance(30);
      expect(bucket.waitMs).toBeCloseTo(70, 9);
      clock.advance(70);
      expect(bucket.waitMs).toBe(0);
    });

    it('is 1000 / rate for slow rates', () => {
      const { bucket, drain } = setup(0.2, 1);
      drain();
      expect(bucket.waitMs).toBe(5_000);
    });

    it('does not take a token', () => {
      const { bucket } = setup(10, 1);
      expect(bucket.waitMs).toBe(0);
      expect(bucket.waitMs).toBe(0);
      expect(bucket.tryTake()).toBe(true);
    });

    it.each([1, 3, 7, 13, 100, 333, 0.5, 2.5])('is enough: after waiting waitMs a token is there (rate %s/s)', (rate) => {
      const { clock, bucket, drain } = setup(rate, 1);
      drain();
      for (const part of [0, 0.37, 0.5, 0.99]) {
        clock.advance((part * 1000) / rate);
        const wait = bucket.waitMs;
        expect(wait).toBeGreaterThan(0);
        clock.advance(wait);
        expect(bucket.tryTake(), `rate ${rate}, ${part} of a token, waited ${wait} ms`).toBe(true);
      }
    });
  });
});
