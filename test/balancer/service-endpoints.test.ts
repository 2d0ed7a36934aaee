import { afterEach, describe, expect, it } from 'vitest';
import type { Balancer } from '../../src/balancer/balancer.js';
import { peakEwma } from '../../src/balancer/peak-ewma.js';
import { roundRobin } from '../../src/balancer/round-robin.js';
import { ALL_ENDPOINTS, type ServiceEndpointEvents, ServiceEndpoints, type SubsetRef } from '../../src/balancer/service-endpoints.js';
import type { BreakerSettings, OutlierSettings } from '../../src/config/compile.js';
import type { Endpoint } from '../../src/discovery/endpoint.js';
import { InmeshError } from '../../src/errors.js';
import { classifyError, classifyStatus, kPerTryTimeout } from '../../src/resilience/outcome.js';
import { context, setBlocked, spec, tally } from '../helpers/endpoints.js';
import { ManualClock, seededRandom } from '../helpers/manual-clock.js';

const OK = classifyStatus(200);
const ERROR_503 = classifyStatus(503);
const TIMEOUT = classifyError(Object.assign(new Error('per-try timeout'), { [kPerTryTimeout]: true }), 'sent');

const OUTLIER: OutlierSettings = {
  consecutive5xxErrors: 3,
  consecutiveGatewayErrors: 0,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 50,
};
// A long reset timeout: these tests never reach half-open (see circuit-breaker.test.ts for that).
const BREAKER: BreakerSettings = { errorThresholdPercentage: 50, volumeThreshold: 2, windowMs: 10_000, resetTimeoutMs: 600_000 };

/** Lets opossum's promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const v1: SubsetRef = { key: 'v1', selector: { version: 'v1' } };
const v2: SubsetRef = { key: 'v2', selector: { version: 'v2' } };

describe('ServiceEndpoints', () => {
  let service: ServiceEndpoints;
  let clock: ManualClock;

  function create(
    options: { balancer?: Balancer; panic?: number; outlier?: OutlierSettings | false; breaker?: BreakerSettings | false } = {},
  ): ServiceEndpoints {
    clock = new ManualClock();
    const random = seededRandom(5);
    service = new ServiceEndpoints({ name: 'payments', clock, random });
    service.configure(
      options.balancer ?? roundRobin.create({}, { clock, random }),
      options.panic ?? 50,
      options.outlier ?? false,
      options.breaker ?? false,
    );
    return service;
  }

  function events<K extends keyof ServiceEndpointEvents>(name: K): ServiceEndpointEvents[K][0][] {
    const seen: ServiceEndpointEvents[K][0][] = [];
    service.on(name, ((event: ServiceEndpointEvents[K][0]) => seen.push(event)) as never);
    return seen;
  }

  const at = (i: number) => service.endpoints[i] as Endpoint;
  const pickAll = (subset: SubsetRef = ALL_ENDPOINTS, times = 60) => tally(times, () => service.pick(subset, context()));

  afterEach(() => service?.close());

  describe('update', () => {
    it('creates one endpoint per address, with host:port ids ([v6]:port for IPv6), ignoring repeats', () => {
      create().update([spec(1), { ...spec(1), weight: 9 }, { host: '::1', port: 8080, labels: {}, weight: 1 }]);
      expect(service.endpoints.map((e) => e.id)).toEqual(['10.0.0.1:80', '[::1]:8080']);
      expect(at(0).weight).toBe(1);
      expect(service.resolved).toBe(true);
    });

    it('emits change with what was added and removed, and nothing when the set is the same', () => {
      create();
      const changes = events('change');
      service.update([spec(1), spec(2)]);
      const [one, two] = service.endpoints as [Endpoint, Endpoint];
      service.update([spec(2), spec(3)]);
      service.update([spec(2), spec(3)]);
      expect(changes).toHaveLength(2);
      expect(changes[0]).toEqual({ service: 'payments', added: [one, two], removed: [] });
      expect(changes[1]?.added.map((e) => e.id)).toEqual(['10.0.0.3:80']);
      expect(changes[1]?.removed).toEqual([one]);
      expect(changes[1]?.removed[0]).not.toBe(two);
    });

    it('keeps the state of endpoints that stay, and takes their new labels and weight', () => {
      create().update([spec(1), spec(2)]);
      const kept = at(0);
      kept.pending = 3;
      kept.rttMs = 42;
      kept.ejectionCount = 2;
      service.update([spec(1, { labels: { version: 'v2' }, weight: 5 }), spec(3)]);
      expect(at(0)).toBe(kept);
      expect(kept).toMatchObject({ pending: 3, rttMs: 42, ejectionCount: 2, weight: 5, labels: { version: 'v2' }, removed: false });
    });

    it('marks removed endpoints so in-flight attempts finish but no new one starts', () => {
      create().update([spec(1), spec(2)]);
      const gone = at(1);
      service.update([spec(1)]);
      expect(gone.removed).toBe(true);
      expect(service.endpoints).not.toContain(gone);
      expect(pickAll().get(gone)).toBeUndefined();
    });

    it('cancels the return timer of a removed ejected endpoint', () => {
      create({ outlier: OUTLIER }).update([spec(1), spec(2)]);
      const lease = () => service.begin(at(0));
      for (let i = 0; i < 3; i++) service.finish(lease(), ERROR_503);
      expect(clock.pending).toBe(1);
      service.update([spec(2)]);
      expect(clock.pending).toBe(0);
    });

    it('records a discovery failure without losing the endpoints, until the next answer', () => {
      create().update([spec(1)]);
      const failure = new Error('dns down');
      service.fail(failure);
      expect(service.lastError).toBe(failure);
      expect(service.pick(ALL_ENDPOINTS, context())).toBe(at(0));
      service.update([spec(1)]);
      expect(service.lastError).toBeUndefined();
    });
  });

  describe('pick', () => {
    it('throws when used before configure()', () => {
      const bare = new ServiceEndpoints({ name: 'x', clock: new ManualClock(), random: Math.random });
      bare.update([spec(1)]);
      expect(() => bare.pick(ALL_ENDPOINTS, context())).toThrow(/configure/);
    });

    it('picks among the endpoints whose labels match the subset', () => {
      create().update([
        spec(1, { labels: { version: 'v1' } }),
        spec(2, { labels: { version: 'v2', zone: 'a' } }),
        spec(3, { labels: { version: 'v2' } }),
      ]);
      const counts = pickAll(v2);
      expect([...counts.keys()].map((e) => e?.id).sort()).toEqual(['10.0.0.2:80', '10.0.0.3:80']);
      expect([...pickAll(v1).keys()]).toEqual([at(0)]);
      expect([...pickAll({ key: 'v2a', selector: { version: 'v2', zone: 'a' } }).keys()]).toEqual([at(1)]);
    });

    it('picks from every endpoint for ALL_ENDPOINTS', () => {
      create().update([spec(1, { labels: { version: 'v1' } }), spec(2, { labels: { version: 'v2' } })]);
      expect(pickAll().size).toBe(2);
    });

    it('leaves out unhealthy endpoints', () => {
      create().update([spec(1), spec(2), spec(3)]);
      service.setHealthy(at(0), false);
      expect(pickAll().get(at(0))).toBeUndefined();
      service.setHealthy(at(0), true);
      expect(pickAll().get(at(0))).toBeGreaterThan(0);
    });

    it('keeps its picker until something invalidates it', () => {
      create().update([spec(1), spec(2), spec(3)]);
      service.pick(ALL_ENDPOINTS, context());
      at(0).healthy = false; // behind the service's back: the cached picker still has it
      expect(pickAll().get(at(0))).toBeGreaterThan(0);
      service.invalidate();
      expect(pickAll().get(at(0))).toBeUndefined();
    });

    it('leaves out an endpoint whose circuit is open', () => {
      create().update([spec(1), spec(2)]);
      setBlocked(at(0), true);
      service.invalidate();
      expect([...pickAll().keys()]).toEqual([at(1)]);
    });

    describe('panic threshold', () => {
      it('ignores health when fewer than the threshold look healthy', () => {
        create({ panic: 50 }).update([spec(1), spec(2), spec(3), spec(4)]);
        for (const i of [0, 1, 2]) service.setHealthy(at(i), false); // 25% healthy
        expect(pickAll(ALL_ENDPOINTS, 80).size).toBe(4);
      });

      it('keeps to the healthy ones at the threshold', () => {
        create({ panic: 50 }).update([spec(1), spec(2), spec(3), spec(4)]);
        for (const i of [0, 1]) service.setHealthy(at(i), false); // 50% healthy
        expect([...pickAll().keys()].sort((a, b) => (a?.id ?? '').localeCompare(b?.id ?? ''))).toEqual([at(2), at(3)]);
      });

      it('never panics at 0', () => {
        create({ panic: 0 }).update([spec(1), spec(2), spec(3), spec(4)]);
        for (const i of [0, 1, 2]) service.setHealthy(at(i), false);
        expect([...pickAll().keys()]).toEqual([at(3)]);
      });

      it('is judged per subset', () => {
        create({ panic: 50 }).update([
          spec(1, { labels: { version: 'v1' } }),
          spec(2, { labels: { version: 'v1' } }),
          spec(3, { labels: { version: 'v1' } }),
          spec(4, { labels: { version: 'v2' } }),
          spec(5, { labels: { version: 'v2' } }),
        ]);
        service.setHealthy(at(0), false);
        service.setHealthy(at(1), false);
        // v1: 1 of 3 healthy -> panic; the whole service: 3 of 5 healthy -> no panic.
        expect(pickAll(v1).size).toBe(3);
        expect(pickAll().get(at(0))).toBeUndefined();
      });
    });
  });

  describe('noEndpointError', () => {
    it('says discovery has not answered yet', () => {
      const err = create().noEndpointError(ALL_ENDPOINTS);
      expect(err).toBeInstanceOf(InmeshError);
      expect(err.code).toBe('ERR_NO_ENDPOINTS');
      expect(err.status).toBe(503);
      expect(err.message).toMatch(/payments.*has not answered yet/);
    });

    it('says discovery returned none', () => {
      create().update([]);
      expect(service.noEndpointError(ALL_ENDPOINTS)).toMatchObject({
        code: 'ERR_NO_ENDPOINTS',
        message: expect.stringMatching(/returned none/),
      });
    });

    it('gives the discovery failure as the cause', () => {
      create();
      const failure = new Error('no such host');
      service.fail(failure);
      const err = service.noEndpointError(ALL_ENDPOINTS);
      expect(err.code).toBe('ERR_NO_ENDPOINTS');
      expect(err.cause).toBe(failure);
      expect(err.message).toMatch(/discovery failed \(no such host\)/);
    });

    it('names the labels no endpoint has', () => {
      create().update([spec(1, { labels: { version: 'v1' } })]);
      const err = service.noEndpointError(v2);
      expect(err.code).toBe('ERR_NO_ENDPOINTS');
      expect(err.message).toMatch(/subset v2.*no endpoint has labels \{"version":"v2"\}/);
      expect(err.details).toEqual({ service: 'payments', subset: 'v2' });
    });

    it('is ERR_CIRCUIT_OPEN when every endpoint of the subset is blocked', () => {
      create().update([spec(1, { labels: { version: 'v1' } }), spec(2, { labels: { version: 'v2' } })]);
      setBlocked(at(0), true);
      const err = service.noEndpointError(v1);
      expect(err.code).toBe('ERR_CIRCUIT_OPEN');
      expect(err.status).toBe(503);
      // One open circuit of two is not "every circuit open".
      expect(service.noEndpointError(ALL_ENDPOINTS).code).toBe('ERR_NO_ENDPOINTS');
    });
  });

  describe('begin and finish', () => {
    it('count attempts in flight', () => {
      create().update([spec(1)]);
      const a = service.begin(at(0));
      const b = service.begin(at(0));
      expect(at(0).pending).toBe(2);
      service.finish(a, OK);
      service.finish(b, ERROR_503);
      expect(at(0).pending).toBe(0);
    });

    it('feed the latency from begin to observeLatency to the balancer (peak-EWMA)', () => {
      create();
      service.configure(peakEwma.create({ decay: 10_000, defaultRtt: 30 }, { clock, random: Math.random }), 50, false, false);
      service.update([spec(1)]);
      const lease = service.begin(at(0));
      expect(lease.startedAt).toBe(clock.now());
      clock.advance(120);
      service.observeLatency(lease);
      expect(at(0).rttMs).toBe(120);
      service.finish(lease, OK);
      expect(at(0).rttMs).toBe(120);
    });

    it('feed a per-try timeout as latency: the endpoint was at least that slow', () => {
      create();
      service.configure(peakEwma.create({ decay: 10_000, defaultRtt: 30 }, { clock, random: Math.random }), 50, false, false);
      service.update([spec(1)]);
      const lease = service.begin(at(0));
      clock.advance(500);
      service.finish(lease, TIMEOUT);
      expect(at(0).rttMs).toBe(500);
    });

    it('feed outlier detection: consecutive 5xx eject, the pickers leave the endpoint out, and it returns', () => {
      create({ outlier: OUTLIER }).update([spec(1), spec(2)]);
      const ejections = events('ejection');
      for (let i = 0; i < 3; i++) service.finish(service.begin(at(0)), ERROR_503);
      expect(at(0).ejected).toBe(true);
      expect(ejections).toHaveLength(1);
      expect(ejections[0]).toMatchObject({ service: 'payments', endpoint: at(0), ejected: true, reason: 'consecutive-5xx' });
      expect([...pickAll().keys()]).toEqual([at(1)]);
      clock.advance(OUTLIER.baseEjectionTimeMs);
      expect(ejections[1]).toMatchObject({ ejected: false, reason: 'expired' });
      expect(pickAll().get(at(0))).toBeGreaterThan(0);
    });

    it('a success between failures keeps the endpoint in', () => {
      create({ outlier: OUTLIER }).update([spec(1), spec(2)]);
      for (const outcome of [ERROR_503, ERROR_503, OK, ERROR_503, ERROR_503]) service.finish(service.begin(at(0)), outcome);
      expect(at(0).ejected).toBe(false);
    });

    it('feed the circuit breaker: failures open it, pickers skip it, and the error says so', async () => {
      create({ breaker: BREAKER }).update([spec(1), spec(2)]);
      const circuits = events('circuit');
      expect(at(0).breaker).toBeUndefined(); // created on first use
      service.finish(service.begin(at(0)), ERROR_503);
      service.finish(service.begin(at(0)), ERROR_503);
      await settle();
      expect(at(0).breaker?.isOpen).toBe(true);
      expect(at(0).state).toBe('circuit-open');
      expect(circuits).toEqual([{ service: 'payments', endpoint: at(0), state: 'open' }]);
      expect([...pickAll().keys()]).toEqual([at(1)]);
      service.finish(service.begin(at(1)), ERROR_503);
      service.finish(service.begin(at(1)), ERROR_503);
      await settle();
      expect(service.pick(ALL_ENDPOINTS, context())).toBeUndefined();
      expect(service.noEndpointError(ALL_ENDPOINTS).code).toBe('ERR_CIRCUIT_OPEN');
    });

    it('successes keep the circuit closed', async () => {
      create({ breaker: BREAKER }).update([spec(1)]);
      for (const outcome of [OK, OK, OK, ERROR_503]) service.finish(service.begin(at(0)), outcome);
      await settle();
      expect(at(0).breaker?.isOpen).toBe(false);
    });
  });

  describe('configure', () => {
    it('keeps ejections when the outlier settings did not change', () => {
      create({ outlier: OUTLIER }).update([spec(1), spec(2)]);
      for (let i = 0; i < 3; i++) service.finish(service.begin(at(0)), ERROR_503);
      service.configure(roundRobin.create({}, { clock, random: Math.random }), 50, { ...OUTLIER }, false);
      expect(at(0).ejected).toBe(true);
      clock.advance(OUTLIER.baseEjectionTimeMs);
      expect(at(0).ejected).toBe(false);
    });

    it('returns ejected endpoints when outlier detection is replaced, rather than strand them', () => {
      create({ outlier: OUTLIER }).update([spec(1), spec(2)]);
      for (let i = 0; i < 3; i++) service.finish(service.begin(at(0)), ERROR_503);
      expect(at(0).ejected).toBe(true);
      service.configure(roundRobin.create({}, { clock, random: Math.random }), 50, { ...OUTLIER, baseEjectionTimeMs: 5_000 }, false);
      clock.advance(OUTLIER.maxEjectionTimeMs);
      expect(at(0).ejected).toBe(false);
      expect(pickAll().get(at(0))).toBeGreaterThan(0);
    });

    it('returns ejected endpoints when outlier detection is turned off', () => {
      create({ outlier: OUTLIER }).update([spec(1), spec(2)]);
      for (let i = 0; i < 3; i++) service.finish(service.begin(at(0)), ERROR_503);
      service.configure(roundRobin.create({}, { clock, random: Math.random }), 50, false, false);
      expect(at(0).ejected).toBe(false);
      expect(pickAll().get(at(0))).toBeGreaterThan(0);
    });

    it('drops breakers when the breaker settings change', async () => {
      create({ breaker: BREAKER }).update([spec(1), spec(2)]);
      service.finish(service.begin(at(0)), ERROR_503);
      service.finish(service.begin(at(0)), ERROR_503);
      await settle();
      expect(at(0).breaker?.isOpen).toBe(true);
      service.configure(roundRobin.create({}, { clock, random: Math.random }), 50, false, { ...BREAKER, volumeThreshold: 10 });
      expect(at(0).breaker).toBeUndefined();
      expect(pickAll().get(at(0))).toBeGreaterThan(0);
    });
  });
});
