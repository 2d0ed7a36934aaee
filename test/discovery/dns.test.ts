import * as v from 'valibot';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dnsResolver } from '../../src/discovery/dns.js';
import type { EndpointUpdate } from '../../src/discovery/resolver.js';
import { createMesh, type Mesh, type MeshConfig } from '../../src/index.js';
import { type Dnsmasq, type DnsmasqOptions, hasDnsmasq, startDnsmasq, warnIfDnsmasqMissing } from '../helpers/dnsmasq.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { recordingLogger } from '../helpers/quiet.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';
import { Cleanup, waitForEvent, waitUntil } from '../helpers/wait.js';

warnIfDnsmasqMissing('test/discovery/dns.test.ts');

type DnsOptions = Record<string, unknown>;
type EndpointsEvent = [{ service: string; added: { id: string }[]; removed: { id: string }[] }];
type DiscoveryErrorEvent = [{ service: string; error: Error & { code?: string } }];

describe.skipIf(!hasDnsmasq)('dns resolver against a real dnsmasq', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function dnsmasq(options: DnsmasqOptions): Promise<Dnsmasq> {
    const server = await startDnsmasq(options);
    cleanup.add(() => server.stop());
    return server;
  }

  async function upstream(name: string): Promise<Upstream> {
    const server = await startUpstream(name);
    cleanup.add(() => server.stop());
    return server;
  }

  /** A mesh whose `payments` service comes from `dns`; TTLs clamped to 1 s so changes show fast. */
  async function meshWith(
    server: Dnsmasq,
    dns: DnsOptions,
    { extra = {}, defaultLogger = false }: { extra?: Partial<MeshConfig>; defaultLogger?: boolean } = {},
  ): Promise<Mesh> {
    const mesh = await createMesh({
      // Expected failures would flood the output; the test of the default logger asks for it.
      ...(defaultLogger ? {} : { logger: recordingLogger() }),
      config: {
        discovery: [{ dns: { servers: [server.server], name: '{service}.test', minTtl: '1s', maxTtl: '1s', ...dns } }],
        services: { payments: {} },
        ...extra,
      } as MeshConfig,
    });
    cleanup.add(() => mesh.close({ force: true }));
    return mesh;
  }

  const endpointsOf = (mesh: Mesh) =>
    (mesh.endpointsOf('payments')?.endpoints ?? []).map((e) => ({ id: e.id, weight: e.weight })).sort((a, b) => (a.id < b.id ? -1 : 1));

  const idsOf = (mesh: Mesh) => endpointsOf(mesh).map((e) => e.id);

  async function callPayments(mesh: Mesh): Promise<string> {
    const res = await mesh.fetch('http://payments/charge');
    expect(res.status).toBe(200);
    return ((await res.json()) as { upstream: string }).upstream;
  }

  it('A records become endpoints on the configured port', async () => {
    const server = await dnsmasq({ hosts: { 'payments.test': ['127.0.0.1', '127.0.0.2'] } });
    const mesh = await meshWith(server, { port: 8080 });
    expect(endpointsOf(mesh)).toEqual([
      { id: '127.0.0.1:8080', weight: 1 },
      { id: '127.0.0.2:8080', weight: 1 },
    ]);
  });

  it('family 0 asks for A and AAAA, family 4 and 6 for one of them', async () => {
    const server = await dnsmasq({ hosts: { 'payments.test': ['127.0.0.1', '::1'] } });
    expect(idsOf(await meshWith(server, { port: 8080 }))).toEqual(['127.0.0.1:8080', '[::1]:8080'].sort());
    expect(idsOf(await meshWith(server, { port: 8080, family: 4 }))).toEqual(['127.0.0.1:8080']);
    expect(idsOf(await meshWith(server, { port: 8080, family: 6 }))).toEqual(['[::1]:8080']);
  });

  it('SRV records give port and weight, and only the lowest priority is used', async () => {
    const server = await dnsmasq({
      hosts: { 'a.test': ['127.0.0.1'], 'b.test': ['127.0.0.2'], 'backup.test': ['127.0.0.3'] },
      srv: [
        { name: '_payments._tcp.test', target: 'a.test', port: 9001, priority: 0, weight: 10 },
        { name: '_payments._tcp.test', target: 'b.test', port: 9002, priority: 0, weight: 30 },
        { name: '_payments._tcp.test', target: 'backup.test', port: 9003, priority: 10, weight: 50 },
      ],
    });
    const mesh = await meshWith(server, { srv: true, name: '_{service}._tcp.test' });
    expect(endpointsOf(mesh)).toEqual([
      { id: '127.0.0.1:9001', weight: 10 },
      { id: '127.0.0.2:9002', weight: 30 },
    ]);
  });

  it('leaves out an SRV target whose name does not resolve, keeping the others', async () => {
    const server = await dnsmasq({
      hosts: { 'a.test': ['127.0.0.1'] },
      srv: [
        { name: '_payments._tcp.test', target: 'a.test', port: 9001, priority: 0, weight: 10 },
        { name: '_payments._tcp.test', target: 'gone.test', port: 9002, priority: 0, weight: 10 },
      ],
    });
    const mesh = await meshWith(server, { srv: true, name: '_{service}._tcp.test' });
    expect(endpointsOf(mesh)).toEqual([{ id: '127.0.0.1:9001', weight: 10 }]);
  });

  it('routes requests to an upstream found through DNS', async () => {
    const a = await upstream('a');
    const server = await dnsmasq({ hosts: { 'payments.test': ['127.0.0.1'] } });
    const mesh = await meshWith(server, { port: a.port });
    expect(await callPayments(mesh)).toBe('a');
    expect(a.hits.map((h) => h.path)).toEqual(['/charge']);
  });

  it('a changed A record (hosts file + SIGHUP) is picked up after the TTL', async () => {
    const a = await upstream('a');
    // At first the name points where nothing listens; the change points it at the upstream.
    const server = await dnsmasq({ hosts: { 'payments.test': ['127.0.0.2'] }, ttlSeconds: 1 });
    // maxTtl far above the deadline of the wait below: only the record's 1 s TTL can make it.
    const mesh = await meshWith(server, { port: a.port, maxTtl: '1m' });
    expect(idsOf(mesh)).toEqual([`127.0.0.2:${a.port}`]);

    const changed = waitForEvent<EndpointsEvent>(mesh, 'endpoints', (e) => e.added.some((x) => x.id === a.address));
    await server.setRecords({ hosts: { 'payments.test': ['127.0.0.1'] } });
    const [event] = await changed;
    expect(event.removed.map((x) => x.id)).toEqual([`127.0.0.2:${a.port}`]);
    expect(idsOf(mesh)).toEqual([a.address]);
    expect(await callPayments(mesh)).toBe('a');
  });

  it('changed SRV records (dnsmasq restarted on its port) move traffic to the new port', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    const srvTo = (port: number) => [{ name: '_payments._tcp.test', target: 'payments.test', port }];
    const hosts = { 'payments.test': ['127.0.0.1'] };
    const server = await dnsmasq({ hosts, srv: srvTo(a.port) });
    const mesh = await meshWith(server, { srv: true, name: '_{service}._tcp.test' });
    expect(await callPayments(mesh)).toBe('a');

    const moved = waitForEvent<EndpointsEvent>(mesh, 'endpoints', (e) => e.added.some((x) => x.id === b.address));
    await server.setRecords({ hosts, srv: srvTo(b.port) });
    await moved;
    expect(idsOf(mesh)).toEqual([b.address]);
    expect(await callPayments(mesh)).toBe('b');
  });

  it('when the DNS server is gone, the last good endpoints stay and the failure is reported', async () => {
    const a = await upstream('a');
    const server = await dnsmasq({ hosts: { 'payments.test': ['127.0.0.1'] } });
    // Keep the mesh's lines (checked below) out of the test output; let anything else through.
    const write = process.stderr.write.bind(process.stderr) as (chunk: unknown) => boolean;
    const stderr = vi
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: unknown) => String(chunk).includes('"name":"inmesh"') || write(chunk));
    cleanup.add(() => stderr.mockRestore());
    const mesh = await meshWith(server, { port: a.port }, { defaultLogger: true });
    expect(idsOf(mesh)).toEqual([a.address]);

    const failed = waitForEvent<DiscoveryErrorEvent>(mesh, 'discovery-error');
    await server.stop();
    const [{ service, error }] = await failed;
    expect(service).toBe('payments');
    expect(error.code).toBe('ERR_DISCOVERY_FAILED');
    expect(error.message).toMatch(/keeping the last good endpoints/);

    // The default logger said so on stderr, as a pino-shaped warning.
    const warnings = stderr.mock.calls.map((c) => String(c[0])).filter((line) => line.includes('ERR_DISCOVERY_FAILED'));
    expect(warnings.length).toBeGreaterThan(0);
    expect(JSON.parse(warnings[0] as string)).toMatchObject({ level: 40, service: 'payments' });

    expect(idsOf(mesh)).toEqual([a.address]);
    expect(mesh.status().find((s) => s.name === 'payments')?.lastDiscoveryError).toMatch(/DNS resolution of payments failed/);
    expect(await callPayments(mesh)).toBe('a');
  });

  it('when the name disappears, the last good endpoints stay until it comes back', async () => {
    const a = await upstream('a');
    const server = await dnsmasq({ hosts: { 'payments.test': ['127.0.0.1'] } });
    const mesh = await meshWith(server, { port: a.port }, { extra: { outbound: { passthrough: false } } });
    const status = () => mesh.status().find((s) => s.name === 'payments');

    const failed = waitForEvent<DiscoveryErrorEvent>(mesh, 'discovery-error');
    await server.setRecords({ hosts: {} });
    const [{ error }] = await failed;
    expect(error.code).toBe('ERR_DISCOVERY_FAILED');
    expect(idsOf(mesh)).toEqual([a.address]);
    expect(await callPayments(mesh)).toBe('a');

    // Back again: the same set arrives (no 'endpoints' event), so poll until the error clears.
    await server.setRecords({ hosts: { 'payments.test': ['127.0.0.1'] } });
    await waitUntil(() => status()?.lastDiscoveryError === undefined, 'the discovery error clears');
    expect(idsOf(mesh)).toEqual([a.address]);
  });

  it('a name missing at start does not fail createMesh; it becomes routable once it resolves', async () => {
    const a = await upstream('a');
    const server = await dnsmasq({ hosts: {} });
    const mesh = await meshWith(server, { port: a.port });
    expect(idsOf(mesh)).toEqual([]);
    await expect(mesh.fetch('http://payments/charge')).rejects.toMatchObject({
      cause: { code: 'ERR_NO_ENDPOINTS', message: expect.stringMatching(/discovery failed/) },
    });

    const found = waitForEvent<EndpointsEvent>(mesh, 'endpoints', (e) => e.added.some((x) => x.id === a.address));
    await server.setRecords({ hosts: { 'payments.test': ['127.0.0.1'] } });
    await found;
    expect(await callPayments(mesh)).toBe('a');
  });

  it('a service unwatched while its query is in flight is not polled again', async () => {
    const server = await dnsmasq({ hosts: { 'payments.test': ['127.0.0.1'] } });
    const clock = new ManualClock();
    const resolver = dnsResolver.create(
      v.parse(dnsResolver.options, { servers: [server.server], name: '{service}.test', services: ['payments'] }),
      {
        baseDir: process.cwd(),
        declaredServices: [],
        claimedEarlier: () => false,
        clock,
        logger: recordingLogger(),
        onKnownServicesChanged() {},
      },
    );
    cleanup.add(() => resolver.close());

    // Watched: the answer arms the TTL timer.
    const updates: EndpointUpdate[] = [];
    const unwatchFirst = resolver.watch('payments', (u) => updates.push(u));
    await resolver.ready?.();
    expect(updates).toEqual([{ endpoints: [{ host: '127.0.0.1', port: 80, labels: {}, weight: 1 }] }]);
    expect(clock.pending).toBe(1);
    unwatchFirst();
    expect(clock.pending).toBe(0);

    // Unwatched before the answer: the answer must not arm a timer nobody can clear.
    const unwatch = resolver.watch('payments', () => {});
    const answered = resolver.ready?.(); // taken now: ready() only sees services still watched
    unwatch();
    await answered;
    expect(clock.pending).toBe(0);
  });
});
