import { afterEach, describe, expect, it } from 'vitest';
import { exponentialBackoff, JITTER, jitter, parseRetryAfter } from '../../src/resilience/backoff.js';

describe('exponentialBackoff', () => {
  it('doubles from the base: 25, 50, 100, 200', () => {
    const delays: number[] = [];
    let b = exponentialBackoff(25, 10_000);
    for (let i = 0; i < 4; i++, b = b.next()) delays.push(b.delayMs);
    expect(delays).toEqual([25, 50, 100, 200]);
  });

  it('is capped at the maximum, and stays there', () => {
    const delays: number[] = [];
    let b = exponentialBackoff(25, 250);
    for (let i = 0; i < 7; i++, b = b.next()) delays.push(b.delayMs);
    expect(delays).toEqual([25, 50, 100, 200, 250, 250, 250]);
  });

  it('caps the first delay too when the base exceeds the maximum', () => {
    expect(exponentialBackoff(500, 100).delayMs).toBe(100);
  });

  it('is immutable: next() returns a new step and leaves this one as it was', () => {
    const first = exponentialBackoff(10, 1_000);
    const second = first.next();
    expect(first.delayMs).toBe(10);
    expect(second.delayMs).toBe(20);
    // The same step advanced twice gives the same answer: calls can share one backoff.
    expect(first.next().delayMs).toBe(20);
    expect(second.next().delayMs).toBe(40);
    expect(first.delayMs).toBe(10);
  });
});

describe('jitter', () => {
  it('is ±20% by default (gRFC A6)', () => {
    expect(JITTER).toBe(0.2);
  });

  it('spans [ms x (1 - f), ms x (1 + f)) as random spans [0, 1)', () => {
    expect(jitter(100, 0.2, () => 0)).toBeCloseTo(80, 10);
    expect(jitter(100, 0.2, () => 0.5)).toBeCloseTo(100, 10);
    expect(jitter(100, 0.2, () => 0.999_999)).toBeLessThan(120);
    expect(jitter(100, 0.2, () => 0.999_999)).toBeGreaterThan(119.99);
  });

  it('stays within bounds for any random value', () => {
    for (let i = 0; i <= 100; i++) {
      const r = i / 101;
      const ms = jitter(250, JITTER, () => r);
      expect(ms).toBeGreaterThanOrEqual(200);
      expect(ms).toBeLessThan(300);
    }
  });

  it('is a pure function of its inputs', () => {
    expect(jitter(40, 0.2, () => 0.3)).toBe(jitter(40, 0.2, () => 0.3));
    expect(jitter(40, 0, () => 0.9)).toBe(40);
  });
});

describe('parseRetryAfter', () => {
  const NOW = Date.parse('2015-10-21T07:28:00Z');
  const savedTz = process.env.TZ;
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it('reads delay-seconds as ms', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 3 ', NOW)).toBe(3_000);
  });

  it('reads an IMF-fixdate as the time left until then', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', NOW)).toBe(5_000);
  });

  it('reads the obsolete RFC 850 and asctime dates (RFC 9110 §5.6.7)', () => {
    expect(parseRetryAfter('Wednesday, 21-Oct-15 07:28:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Wed Oct 21 07:28:10 2015', NOW)).toBe(10_000);
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', Date.parse('1994-11-06T08:49:00Z'))).toBe(37_000);
  });

  it('reads an asctime date as GMT whatever the local time zone', () => {
    process.env.TZ = 'America/New_York';
    expect(parseRetryAfter('Wed Oct 21 07:28:10 2015', NOW)).toBe(10_000);
  });

  it('gives 0 for a date in the past', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', NOW)).toBe(0);
  });

  it('uses the current time by default', () => {
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    const ms = parseRetryAfter(inAMinute) as number;
    expect(ms).toBeGreaterThan(55_000);
    expect(ms).toBeLessThanOrEqual(60_000);
  });

  it('is undefined when absent or unusable', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter('10s', NOW)).toBeUndefined();
  });

  it('is undefined for numbers that are not delay-seconds, which Date.parse would take for dates', () => {
    // V8 reads "1.5" as 2001-01-05, "-1" as 2001-01-01 and "2030.5" as a day in 2030.
    expect(parseRetryAfter('1.5', NOW)).toBeUndefined();
    expect(parseRetryAfter('-1', NOW)).toBeUndefined();
    expect(parseRetryAfter('2030.5', NOW)).toBeUndefined();
    expect(parseRetryAfter('2015-10-21', NOW)).toBeUndefined();
  });
});
