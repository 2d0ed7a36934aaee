import { describe, expect, it } from 'vitest';
import type { BalancerEnvironment } from '../../src/balancer/balancer.js';
import { roundRobin } from '../../src/balancer/round-robin.js';
import { Endpoint } from '../../src/discovery/endpoint.js';
import { context, endpoints, setBlocked, spec, tally } from '../helpers/endpoints.js';
import { ManualClock } from '../helpers/manual-clock.js';

// random() = 0 puts the shared cursor at 0, so the order of picks is predictable.
const env = (random = () => 0): BalancerEnvironment => ({ clock: new ManualClock(), random });

describe('round-robin', () => {
  it('cycles through the endpoints in order', () => {
    const list = endpoints(3);
    const picker = roundRobin.create({}, env()).picker(list);
    const picks = Array.from({ length: 7 }, () => picker.pick(context()));
    expect(picks).toEqual([list[0], list[1], list[2], list[0], list[1], list[2], list[0]]);
  });

  it('starts at a random offset so that processes do not all hit the first endpoint', () => {
    const list = endpoints(4);
    const picker = roundRobin
      .create(
        {},
        env(() => 0.5),
      )
      .picker(list);
    // cursor = floor(0.5 x 1024) = 512, and 512 % 4 = 0; 0.002 x 1024 = 2 lands on the third.
    expect(picker.pick(context())).toBe(list[0]);
    const other = roundRobin
      .create(
        {},
        env(() => 0.002),
      )
      .picker(list);
    expect(other.pick(context())).toBe(list[2]);
  });

  it('keeps its cursor across pickers, so a rebuild does not restart at the first endpoint', () => {
    const list = endpoints(3);
    const balancer = roundRobin.create({}, env());
    expect(balancer.picker(list).pick(context())).toBe(list[0]);
    expect(balancer.picker(list).pick(context())).toBe(list[1]);
    expect(balancer.picker(list).pick(context())).toBe(list[2]);
  });

  it('returns undefined for an empty list', () => {
    expect(roundRobin.create({}, env()).picker([]).pick(context())).toBeUndefined();
  });

  it('skips an unavailable endpoint', () => {
    const list = endpoints(3);
    setBlocked(list[0] as Endpoint, true);
    const picker = roundRobin.create({}, env()).picker(list);
    const counts = tally(30, () => picker.pick(context()));
    expect(counts.get(list[0])).toBeUndefined();
    expect(counts.get(undefined)).toBeUndefined();
    expect((counts.get(list[1]) ?? 0) + (counts.get(list[2]) ?? 0)).toBe(30);
  });

  it('skips an endpoint already tried by the call', () => {
    const list = endpoints(2);
    const picker = roundRobin.create({}, env()).picker(list);
    // The cursor is on endpoint 0, which this call tried: the scan moves on.
    expect(picker.pick(context({ tried: [list[0] as Endpoint] }))).toBe(list[1]);
  });

  it('falls back to a tried endpoint when it is the only one available', () => {
    const list = endpoints(2);
    setBlocked(list[1] as Endpoint, true);
    const picker = roundRobin.create({}, env()).picker(list);
    expect(picker.pick(context({ tried: [list[0] as Endpoint] }))).toBe(list[0]);
  });

  it('returns undefined when every endpoint is unavailable', () => {
    const list = endpoints(2);
    for (const e of list) setBlocked(e, true);
    expect(roundRobin.create({}, env()).picker(list).pick(context())).toBeUndefined();
  });

  describe('weighted (smooth, as nginx)', () => {
    const weighted = () => [
      new Endpoint(spec(1, { weight: 5 })),
      new Endpoint(spec(2, { weight: 1 })),
      new Endpoint(spec(3, { weight: 1 })),
    ];

    it('interleaves picks by weight: 5/1/1 gives a a b a c a a', () => {
      const [a, b, c] = weighted() as [Endpoint, Endpoint, Endpoint];
      const picker = roundRobin.create({}, env()).picker([a, b, c]);
      const picks = Array.from({ length: 7 }, () => picker.pick(context()));
      expect(picks).toEqual([a, a, b, a, c, a, a]);
    });

    it('sends traffic in proportion to weight', () => {
      const list = weighted();
      const picker = roundRobin.create({}, env()).picker(list);
      const counts = tally(700, () => picker.pick(context()));
      expect(counts.get(list[0])).toBe(500);
      expect(counts.get(list[1])).toBe(100);
      expect(counts.get(list[2])).toBe(100);
    });

    it('skips an unavailable endpoint', () => {
      const list = weighted();
      setBlocked(list[0] as Endpoint, true);
      const picker = roundRobin.create({}, env()).picker(list);
      const counts = tally(70, () => picker.pick(context()));
      expect(counts.get(list[0])).toBeUndefined();
      expect(counts.get(undefined)).toBeUndefined();
    });

    it('skips an endpoint already tried by the call', () => {
      const list = weighted();
      const picker = roundRobin.create({}, env()).picker(list);
      for (let i = 0; i < 7; i++) expect(picker.pick(context({ tried: [list[0] as Endpoint] }))).not.toBe(list[0]);
    });
  });
});
