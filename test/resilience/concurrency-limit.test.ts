import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../../src/resilience/concurrency-limit.js';

describe('ConcurrencyLimit', () => {
  it('starts with nothing in flight', () => {
    const limit = new ConcurrencyLimit(3);
    expect(limit.max).toBe(3);
    expect(limit.inFlight).toBe(0);
  });

  it('grants up to max slots, then sheds at once', () => {
    const limit = new ConcurrencyLimit(3);
    expect([limit.tryAcquire(), limit.tryAcquire(), limit.tryAcquire()]).toEqual([true, true, true]);
    expect(limit.inFlight).toBe(3);
    expect(limit.tryAcquire()).toBe(false);
    // A refusal takes no slot.
    expect(limit.inFlight).toBe(3);
  });

  it('grants a slot again after a release', () => {
    const limit = new ConcurrencyLimit(2);
    limit.tryAcquire();
    limit.tryAcquire();
    expect(limit.tryAcquire()).toBe(false);
    limit.release();
    expect(limit.inFlight).toBe(1);
    expect(limit.tryAcquire()).toBe(true);
    expect(limit.tryAcquire()).toBe(false);
  });

  it('goes back to zero when every slot is released', () => {
    const limit = new ConcurrencyLimit(4);
    for (let i = 0; i < 4; i++) limit.tryAcquire();
    for (let i = 0; i < 4; i++) limit.release();
    expect(limit.inFlight).toBe(0);
    expect([1, 2, 3, 4, 5].map(() => limit.tryAcquire())).toEqual([true, true, true, true, false]);
  });

  it('ignores a release without an acquire (never goes below zero, never grows past max)', () => {
    const limit = new ConcurrencyLimit(1);
    limit.release();
    limit.release();
    expect(limit.inFlight).toBe(0);
    expect(limit.tryAcquire()).toBe(true);
    expect(limit.tryAcquire()).toBe(false);
  });

  it('with max 0, sheds everything', () => {
    const limit = new ConcurrencyLimit(0);
    expect(limit.tryAcquire()).toBe(false);
    expect(limit.inFlight).toBe(0);
  });

  it('keeps count through an interleaving of acquires and releases', () => {
    const limit = new ConcurrencyLimit(3);
    let expected = 0;
    // A fixed interleaving: + acquire, - release.
    for (const step of '++-+++--+-++---+') {
      if (step === '+') {
        const granted = limit.tryAcquire();
        expect(granted).toBe(expected < 3);
        if (granted) expected++;
      } else {
        limit.release();
        expected = Math.max(0, expected - 1);
      }
      expect(limit.inFlight).toBe(expected);
    }
  });
});
