import { describe, expect, it } from 'vitest';
import { isAvailable, pickTwoChoices, scanAvailable } from '../../src/balancer/balancer.js';
import type { Endpoint } from '../../src/discovery/endpoint.js';
import { context, endpoints, setBlocked, tally } from '../helpers/endpoints.js';
import { seededRandom, sequenceRandom } from '../helpers/manual-clock.js';

describe('isAvailable', () => {
  it('is true for a live endpoint without a breaker', () => {
    const [e] = endpoints(1) as [Endpoint];
    expect(isAvailable(e)).toBe(true);
  });

  it('is false once discovery removed the endpoint', () => {
    const [e] = endpoints(1) as [Endpoint];
    e.removed = true;
    expect(isAvailable(e)).toBe(false);
  });

  it('follows the breaker: blocked while it allows no request', () => {
    const [e] = endpoints(1) as [Endpoint];
    setBlocked(e, true);
    expect(isAvailable(e)).toBe(false);
    e.breaker = { allowsRequest: true, isOpen: false, close() {} };
    expect(isAvailable(e)).toBe(true);
  });
});

describe('scanAvailable', () => {
  it('starts at the random offset', () => {
    const list = endpoints(4);
    expect(scanAvailable(list, context(), () => 0)).toBe(list[0]);
    expect(scanAvailable(list, context(), () => 0.5)).toBe(list[2]);
    expect(scanAvailable(list, context(), () => 0.99)).toBe(list[3]);
  });

  it('skips unavailable endpoints, wrapping around the list', () => {
    const list = endpoints(4);
    setBlocked(list[3] as Endpoint, true);
    (list[0] as Endpoint).removed = true;
    expect(scanAvailable(list, context(), () => 0.99)).toBe(list[1]);
  });

  it('avoids endpoints already tried by the call', () => {
    const list = endpoints(3);
    expect(scanAvailable(list, context({ tried: [list[0] as Endpoint, list[1] as Endpoint] }), () => 0)).toBe(list[2]);
  });

  it('falls back to a tried endpoint when nothing else is available', () => {
    const list = endpoints(3);
    setBlocked(list[2] as Endpoint, true);
    const tried = [list[0] as Endpoint, list[1] as Endpoint];
    expect(scanAvailable(list, context({ tried }), () => 0.4)).toBe(list[1]);
    expect(scanAvailable(list, context({ tried }), () => 0)).toBe(list[0]);
  });

  it('returns undefined when no endpoint is available', () => {
    const list = endpoints(2);
    for (const e of list) setBlocked(e, true);
    expect(scanAvailable(list, context(), () => 0)).toBeUndefined();
    expect(scanAvailable([], context(), () => 0)).toBeUndefined();
  });
});

describe('pickTwoChoices', () => {
  it('returns undefined for an empty list', () => {
    expect(
      pickTwoChoices(
        [],
        context(),
        () => 0,
        () => 0,
      ),
    ).toBeUndefined();
  });

  it('returns the only endpoint when available, tried or not', () => {
    const [only] = endpoints(1) as [Endpoint];
    expect(
      pickTwoChoices(
        [only],
        context(),
        () => 0,
        () => 1,
      ),
    ).toBe(only);
    expect(
      pickTwoChoices(
        [only],
        context({ tried: [only] }),
        () => 0,
        () => 1,
      ),
    ).toBe(only);
    setBlocked(only, true);
    expect(
      pickTwoChoices(
        [only],
        context(),
        () => 0,
        () => 1,
      ),
    ).toBeUndefined();
  });

  it('draws two distinct candidates and the cheaper wins', () => {
    const list = endpoints(3);
    // i = 0; j = floor(0.5 x 2) = 1, shifted past i to 2: candidates 0 and 2.
    const cost = (e: Endpoint) => [5, 0, 1][list.indexOf(e)] as number;
    expect(pickTwoChoices(list, context(), sequenceRandom(0, 0.5), cost)).toBe(list[2]);
    // Endpoint 1 is cheapest overall but was not drawn: P2C compares only its two candidates.
  });

  it('keeps the first candidate on a tie', () => {
    const list = endpoints(2);
    expect(pickTwoChoices(list, context(), sequenceRandom(0.9, 0), () => 1)).toBe(list[1]);
    expect(pickTwoChoices(list, context(), sequenceRandom(0, 0), () => 1)).toBe(list[0]);
  });

  it('never draws the same endpoint twice', () => {
    const list = endpoints(2);
    const costs = [1, 2];
    const cost = (e: Endpoint) => costs[list.indexOf(e)] as number;
    // Whatever the draws, both endpoints are compared, so the cheaper one always wins.
    const random = seededRandom(11);
    for (let k = 0; k < 500; k++) expect(pickTwoChoices(list, context(), random, cost)).toBe(list[0]);
  });

  it('takes the other candidate when one is unavailable, even if it costs more', () => {
    const list = endpoints(2);
    setBlocked(list[0] as Endpoint, true);
    const cost = (e: Endpoint) => (e === list[0] ? 0 : 100);
    expect(pickTwoChoices(list, context(), sequenceRandom(0, 0), cost)).toBe(list[1]);
  });

  it('avoids tried candidates', () => {
    const list = endpoints(2);
    const cost = (e: Endpoint) => (e === list[0] ? 0 : 100);
    expect(pickTwoChoices(list, context({ tried: [list[0] as Endpoint] }), sequenceRandom(0, 0), cost)).toBe(list[1]);
  });

  it('scans the rest when both candidates are unusable', () => {
    const list = endpoints(4);
    // Candidates 0 and 1 (tried and removed); the scan from offset 0 finds 2.
    (list[1] as Endpoint).removed = true;
    const picked = pickTwoChoices(list, context({ tried: [list[0] as Endpoint] }), sequenceRandom(0, 0, 0), () => 0);
    expect(picked).toBe(list[2]);
  });

  it('falls back to a tried endpoint when nothing else is available', () => {
    const list = endpoints(3);
    setBlocked(list[2] as Endpoint, true);
    const picked = pickTwoChoices(list, context({ tried: [list[0] as Endpoint, list[1] as Endpoint] }), seededRandom(3), () => 0);
    expect([list[0], list[1]]).toContain(picked);
  });

  it('returns undefined when every endpoint is unavailable', () => {
    const list = endpoints(3);
    for (const e of list) setBlocked(e, true);
    expect(pickTwoChoices(list, context(), seededRandom(5), () => 0)).toBeUndefined();
  });

  it('spreads picks over every endpoint when costs are equal', () => {
    const list = endpoints(4);
    const random = seededRandom(42);
    const counts = tally(4000, () => pickTwoChoices(list, context(), random, () => 1));
    for (const e of list) expect(counts.get(e)).toBeGreaterThan(800);
  });
});
