import { describe, expect, it } from 'vitest';
import type { BalancerEnvironment, Picker } from '../../src/balancer/balancer.js';
import { readCookie, ringHash } from '../../src/balancer/ring-hash.js';
import { Endpoint } from '../../src/discovery/endpoint.js';
import { context, endpoints, setBlocked, spec, tally } from '../helpers/endpoints.js';
import { ManualClock, seededRandom } from '../helpers/manual-clock.js';

const env = (): BalancerEnvironment => ({ clock: new ManualClock(), random: seededRandom(1) });
const byHeader = () => ringHash.create({ hashOn: { header: 'X-User' } }, env());
const user = (key: string) => context({ headers: { 'x-user': key } });
const KEYS = Array.from({ length: 5000 }, (_, i) => `user-${i}`);

/** Where each key goes. */
function assignment(picker: Picker): Map<string, Endpoint | undefined> {
  return new Map(KEYS.map((key) => [key, picker.pick(user(key))]));
}

describe('readCookie', () => {
  it('finds a cookie among others, trimming spaces', () => {
    expect(readCookie('a=1; session=abc ;b=2', 'session')).toBe('abc');
    expect(readCookie('session=abc', 'session')).toBe('abc');
  });

  it('keeps "=" inside the value', () => {
    expect(readCookie('token=a=b==', 'token')).toBe('a=b==');
  });

  it('does not match a name that only ends or starts with the one asked for', () => {
    expect(readCookie('xsession=1; sessionx=2', 'session')).toBeUndefined();
  });

  it('is undefined without a header or without the cookie', () => {
    expect(readCookie(undefined, 'session')).toBeUndefined();
    expect(readCookie('', 'session')).toBeUndefined();
    expect(readCookie('a=1', 'session')).toBeUndefined();
    expect(readCookie('=1; session', 'session')).toBeUndefined();
  });
});

describe('ring-hash', () => {
  it('sends the same header value to the same endpoint, pick after pick', () => {
    const picker = byHeader().picker(endpoints(5));
    for (const key of ['alice', 'bob', 'carol']) {
      const first = picker.pick(user(key));
      expect(first).toBeDefined();
      for (let i = 0; i < 20; i++) expect(picker.pick(user(key))).toBe(first);
    }
  });

  it('keeps a key on its endpoint across rebuilds of the picker and across balancer instances', () => {
    const list = endpoints(5);
    const before = assignment(byHeader().picker(list));
    const after = assignment(byHeader().picker([...list].reverse()));
    expect(after).toEqual(before);
  });

  it('reads the configured header name in lower case', () => {
    const picker = byHeader().picker(endpoints(3));
    // Only the lower-case lookup can find the key; without it every pick would be random.
    const first = picker.pick(context({ headers: { 'x-user': 'dave' } }));
    for (let i = 0; i < 20; i++) expect(picker.pick(context({ headers: { 'x-user': 'dave' } }))).toBe(first);
  });

  it('sends the same cookie value to the same endpoint', () => {
    const picker = ringHash.create({ hashOn: { cookie: 'session' } }, env()).picker(endpoints(5));
    const first = picker.pick(context({ headers: { cookie: 'theme=dark; session=s-42' } }));
    for (let i = 0; i < 20; i++) {
      expect(picker.pick(context({ headers: { cookie: `other=${i}; session=s-42` } }))).toBe(first);
    }
  });

  it('spreads different keys over every endpoint', () => {
    const list = endpoints(5);
    const counts = new Map<Endpoint | undefined, number>();
    for (const e of assignment(byHeader().picker(list)).values()) counts.set(e, (counts.get(e) ?? 0) + 1);
    for (const e of list) {
      expect(counts.get(e)).toBeGreaterThan(KEYS.length * 0.12);
      expect(counts.get(e)).toBeLessThan(KEYS.length * 0.28);
    }
  });

  it('gives an endpoint keys in proportion to its weight', () => {
    const heavy = new Endpoint(spec(1, { weight: 3 }));
    const light = new Endpoint(spec(2, { weight: 1 }));
    let onHeavy = 0;
    for (const e of assignment(byHeader().picker([heavy, light])).values()) if (e === heavy) onHeavy++;
    expect(onHeavy / KEYS.length).toBeGreaterThan(0.68);
    expect(onHeavy / KEYS.length).toBeLessThan(0.82);
  });

  it('moves about 1/n of the keys when one of n endpoints is removed', () => {
    const n = 10;
    const list = endpoints(n);
    const removed = list[n - 1] as Endpoint;
    const balancer = byHeader();
    const before = assignment(balancer.picker(list));
    const after = assignment(balancer.picker(list.slice(0, n - 1)));
    let moved = 0;
    for (const key of KEYS) {
      if (before.get(key) === removed) expect(after.get(key)).not.toBe(removed);
      if (before.get(key) !== after.get(key)) moved++;
    }
    // The removed endpoint's own keys (1/n) must move. Survivors' keys move too, but far less:
    // each survivor gets ringSize/(n-1) points instead of ringSize/n (Envoy's and gRPC's ring
    // construction do the same), and the new points take some keys from other survivors.
    // Rehashing modulo n would move (n-1)/n = 90% here.
    expect(moved / KEYS.length).toBeGreaterThan(0.5 / n);
    expect(moved / KEYS.length).toBeLessThan(2 / n);
  });

  it("walks to the next available endpoint when the key's endpoint is unavailable, and back when it returns", () => {
    const list = endpoints(5);
    const picker = byHeader().picker(list);
    const home = picker.pick(user('erin')) as Endpoint;
    setBlocked(home, true);
    const away = picker.pick(user('erin'));
    expect(away).toBeDefined();
    expect(away).not.toBe(home);
    // Still sticky while the home endpoint is out.
    for (let i = 0; i < 10; i++) expect(picker.pick(user('erin'))).toBe(away);
    setBlocked(home, false);
    expect(picker.pick(user('erin'))).toBe(home);
  });

  it('skips a removed endpoint', () => {
    const list = endpoints(3);
    const picker = byHeader().picker(list);
    const home = picker.pick(user('frank')) as Endpoint;
    home.removed = true;
    expect(picker.pick(user('frank'))).not.toBe(home);
  });

  it('avoids an endpoint the call tried, and falls back to it when nothing else is available', () => {
    const list = endpoints(2);
    const picker = byHeader().picker(list);
    const home = picker.pick(user('gina')) as Endpoint;
    const other = list.find((e) => e !== home) as Endpoint;
    expect(picker.pick(context({ headers: { 'x-user': 'gina' }, tried: [home] }))).toBe(other);
    setBlocked(other, true);
    expect(picker.pick(context({ headers: { 'x-user': 'gina' }, tried: [home] }))).toBe(home);
  });

  it('returns undefined when every endpoint is unavailable, or there are none', () => {
    const list = endpoints(3);
    for (const e of list) setBlocked(e, true);
    expect(byHeader().picker(list).pick(user('hal'))).toBeUndefined();
    expect(byHeader().picker([]).pick(user('hal'))).toBeUndefined();
  });

  it('spreads requests without the key at random over available endpoints', () => {
    const list = endpoints(3);
    setBlocked(list[2] as Endpoint, true);
    const picker = byHeader().picker(list);
    const counts = tally(300, () => picker.pick(context()));
    expect(counts.get(list[0])).toBeGreaterThan(50);
    expect(counts.get(list[1])).toBeGreaterThan(50);
    expect(counts.get(list[2])).toBeUndefined();
  });

  it('picks at random when no hashOn is configured', () => {
    const list = endpoints(3);
    const picker = ringHash.create({}, env()).picker(list);
    const counts = tally(300, () => picker.pick(user('same-key')));
    for (const e of list) expect(counts.get(e)).toBeGreaterThan(50);
  });
});
