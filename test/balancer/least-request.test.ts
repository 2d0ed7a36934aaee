import { describe, expect, it } from 'vitest';
import type { BalancerEnvironment } from '../../src/balancer/balancer.js';
import { leastRequest } from '../../src/balancer/least-request.js';
import { Endpoint } from '../../src/discovery/endpoint.js';
import { context, endpoints, setBlocked, spec, tally } from '../helpers/endpoints.js';
import { ManualClock, seededRandom } from '../helpers/manual-clock.js';

const env = (seed = 1): BalancerEnvironment => ({ clock: new ManualClock(), random: seededRandom(seed) });

describe('least-request', () => {
  it('of two endpoints, always picks the one with fewer attempts in flight', () => {
    const list = endpoints(2);
    (list[0] as Endpoint).pending = 5;
    const picker = leastRequest.create({}, env()).picker(list);
    const counts = tally(200, () => picker.pick(context()));
    expect(counts.get(list[1])).toBe(200);
  });

  it('follows the load as it changes', () => {
    const list = endpoints(2);
    const picker = leastRequest.create({}, env()).picker(list);
    (list[1] as Endpoint).pending = 3;
    expect(picker.pick(context())).toBe(list[0]);
    (list[0] as Endpoint).pending = 4;
    expect(picker.pick(context())).toBe(list[1]);
  });

  it('divides load by weight: 3 in flight on weight 4 beats 1 in flight on weight 1', () => {
    const light = new Endpoint(spec(1, { weight: 1 }));
    const heavy = new Endpoint(spec(2, { weight: 4 }));
    light.pending = 1; // cost (1 + 1) / 1 = 2
    heavy.pending = 3; // cost (3 + 1) / 4 = 1
    const picker = leastRequest.create({}, env()).picker([light, heavy]);
    expect(picker.pick(context())).toBe(heavy);
  });

  it('starves the most loaded of many endpoints', () => {
    const list = endpoints(5);
    (list[4] as Endpoint).pending = 100;
    const picker = leastRequest.create({}, env(9)).picker(list);
    const counts = tally(2000, () => picker.pick(context()));
    // P2C picks the busiest only if both draws are it, which cannot happen (draws are distinct).
    expect(counts.get(list[4])).toBeUndefined();
    for (const e of list.slice(0, 4)) expect(counts.get(e)).toBeGreaterThan(300);
  });

  it('avoids an endpoint the call tried, even when it is the least loaded', () => {
    const list = endpoints(2);
    (list[1] as Endpoint).pending = 10;
    const picker = leastRequest.create({}, env()).picker(list);
    expect(picker.pick(context({ tried: [list[0] as Endpoint] }))).toBe(list[1]);
  });

  it('skips an unavailable endpoint, even when it is the least loaded', () => {
    const list = endpoints(2);
    (list[1] as Endpoint).pending = 10;
    setBlocked(list[0] as Endpoint, true);
    const picker = leastRequest.create({}, env()).picker(list);
    expect(picker.pick(context())).toBe(list[1]);
  });

  it('returns undefined for an empty list', () => {
    expect(leastRequest.create({}, env()).picker([]).pick(context())).toBeUndefined();
  });
});
