import { describe, expect, it } from 'vitest';
import { RetryBudget, type RetryBudgetOptions } from '../../src/resilience/retry-budget.js';
import { ManualClock } from '../helpers/manual-clock.js';

const TTL_MS = 10_000;

function setup(options: Partial<RetryBudgetOptions> = {}) {
  const clock = new ManualClock();
  const budget = new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 0, ttlMs: TTL_MS, ...options }, clock);
  /** How many retries the budget grants in a row now. */
  const drain = () => {
    let n = 0;
    while (budget.tryWithdraw()) n++;
    return n;
  };
  const deposit = (n: number) => {
    for (let i = 0; i < n; i++) budget.deposit();
  };
  return { clock, budget, drain, deposit };
}

describe('RetryBudget', () => {
  it('allows no retry without requests or floor', () => {
    const { budget, drain } = setup({ ratio: 0.2, minRetriesPerSecond: 0 });
    expect(budget.available).toBe(0);
    expect(drain()).toBe(0);
  });

  it('earns ratio x requests retries', () => {
    const { budget, drain, deposit } = setup({ ratio: 0.2 });
    deposit(50);
    expect(budget.available).toBe(10);
    expect(drain()).toBe(10);
    expect(budget.available).toBe(0);
  });

  it('keeps a fraction of a retry earned until more requests complete it', () => {
    const { drain, deposit } = setup({ ratio: 0.2 });
    deposit(4); // 0.8 of a retry
    expect(drain()).toBe(0);
    deposit(1); // 1.0
    expect(drain()).toBe(1);
  });

  it('adds a floor of minRetriesPerSecond x ttl, with or without traffic', () => {
    const { budget, drain, deposit } = setup({ ratio: 0.2, minRetriesPerSecond: 1 });
    expect(budget.available).toBe(10); // 1/s over 10 s
    deposit(50);
    expect(drain()).toBe(20); // 10 earned + 10 floor
  });

  it('lets withdrawn retries count against the budget until they expire after the ttl', () => {
    const { clock, drain } = setup({ ratio: 0, minRetriesPerSecond: 1 });
    expect(drain()).toBe(10);
    clock.advance(TTL_MS - 1);
    expect(drain()).toBe(0);
    clock.advance(1);
    expect(drain()).toBe(10);
  });

  it('forgets deposits after the ttl', () => {
    const { clock, budget, deposit } = setup({ ratio: 0.5 });
    deposit(10);
    clock.advance(TTL_MS - 1);
    expect(budget.available).toBe(5);
    clock.advance(1);
    expect(budget.available).toBe(0);
    expect(budget.tryWithdraw()).toBe(false);
  });

  it('slides: only deposits within the last ttl count', () => {
    const { clock, budget, deposit } = setup({ ratio: 0.5 });
    deposit(10); // t = 0
    clock.advance(TTL_MS / 2);
    deposit(4); // t = ttl / 2
    expect(budget.available).toBe(7);
    clock.advance(TTL_MS / 2); // the first 10 have expired
    expect(budget.available).toBe(2);
    clock.advance(TTL_MS / 2); // and so have the 4
    expect(budget.available).toBe(0);
  });

  it('recovers fully after a long idle time (more than a whole window)', () => {
    const { clock, budget, drain, deposit } = setup({ ratio: 0.5, minRetriesPerSecond: 1 });
    deposit(100);
    expect(drain()).toBe(60);
    clock.advance(TTL_MS * 5);
    expect(budget.available).toBe(10);
    deposit(2);
    expect(budget.available).toBe(11);
  });

  it('bounds retries under sustained failure to ratio x requests + floor per ttl', () => {
    const { clock, budget } = setup({ ratio: 0.2, minRetriesPerSecond: 1 });
    let retries = 0;
    // 100 calls per second for a minute, each wanting a retry.
    for (let s = 0; s < 60; s++) {
      for (let i = 0; i < 100; i++) {
        budget.deposit();
        if (budget.tryWithdraw()) retries++;
      }
      clock.advance(1_000);
    }
    // 20% of 6000 calls + 1/s over 60 s = 1260, give or take one window's floor at the start.
    expect(retries).toBeGreaterThanOrEqual(1_200);
    expect(retries).toBeLessThanOrEqual(1_320);
  });
});
