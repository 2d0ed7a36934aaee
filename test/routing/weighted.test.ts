import { describe, expect, it } from 'vitest';
import { weightedPicker } from '../../src/routing/weighted.js';
import { seededRandom, sequenceRandom } from '../helpers/manual-clock.js';

const count = <T>(picks: number, pick: () => T) => {
  const counts = new Map<T, number>();
  for (let i = 0; i < picks; i++) {
    const item = pick();
    counts.set(item, (counts.get(item) ?? 0) + 1);
  }
  return counts;
};

describe('weightedPicker', () => {
  it('splits 90/10 within tolerance over many picks', () => {
    const v1 = { subset: 'v1', weight: 90 };
    const v2 = { subset: 'v2', weight: 10 };
    const picks = 100_000;
    const counts = count(picks, weightedPicker([v1, v2], seededRandom(2024)));
    // Binomial sd at p = 0.1 over 100k picks is ~95: 1% is more than 10 sd.
    expect((counts.get(v2) ?? 0) / picks).toBeCloseTo(0.1, 2);
    expect((counts.get(v1) ?? 0) + (counts.get(v2) ?? 0)).toBe(picks);
  });

  it('splits three ways in proportion', () => {
    const items = [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 2 },
      { name: 'c', weight: 7 },
    ];
    const picks = 50_000;
    const counts = count(picks, weightedPicker(items, seededRandom(7)));
    for (const item of items) expect((counts.get(item) ?? 0) / picks).toBeCloseTo(item.weight / 10, 1);
  });

  it('never picks an item of weight 0', () => {
    const zero = { name: 'dark', weight: 0 };
    const items = [zero, { name: 'a', weight: 1 }, { name: 'b', weight: 1 }];
    const counts = count(10_000, weightedPicker(items, seededRandom(3)));
    expect(counts.get(zero)).toBeUndefined();
    // Even at the edges of random's range.
    expect(weightedPicker(items, () => 0)()).not.toBe(zero);
    expect(weightedPicker(items, () => 0.999_999)()).not.toBe(zero);
  });

  it('maps random onto cumulative weights: [0, 0.9) to the first, [0.9, 1) to the second', () => {
    const a = { weight: 90 };
    const b = { weight: 10 };
    const pick = weightedPicker([a, b], sequenceRandom(0, 0.899, 0.9, 0.999));
    expect([pick(), pick(), pick(), pick()]).toEqual([a, a, b, b]);
  });

  it('always returns the only live item, without drawing', () => {
    const only = { weight: 5 };
    let draws = 0;
    const pick = weightedPicker([{ weight: 0 }, only], () => {
      draws++;
      return 0.5;
    });
    expect([pick(), pick(), pick()]).toEqual([only, only, only]);
    expect(draws).toBe(0);
  });

  it('is deterministic for a given seed', () => {
    const items = [{ weight: 3 }, { weight: 1 }];
    const run = () => {
      const pick = weightedPicker(items, seededRandom(99));
      return Array.from({ length: 50 }, () => items.indexOf(pick()));
    };
    expect(run()).toEqual(run());
  });
});
