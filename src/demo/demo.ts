// The demo (`npm run demo`, `npx inmesh demo`): the mesh's main job on embedded defaults, with no
// external server. It starts a few instances of a `payments` service on loopback, drives a few
// thousand calls through a mesh client, and along the way applies a 90/10 split and a header
// canary (by rewriting the config file: a hot reload), kills one instance and makes another
// fail. It ends with a table showing that every call was kept alive.
//
// Every instance is served by `mesh.createServer`, with mTLS between caller and instances:
// certificates are made at start by the dev CA (`inmesh ca`), and an authorization policy lets
// only the checkout identity charge; one call from another identity shows a denial.
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import type { MeshServer } from '../http/inbound/server.js';
import { createMesh, type Mesh } from '../mesh.js';
import { createCa, issueSvid } from '../security/dev-ca.js';
import type { CallEvent } from '../telemetry/call-events.js';
import type { Logger } from '../util/logger.js';
import { formatTable } from './table.js';

export interface DemoOptions {
  /** Calls to make in all (default 4000). */
  readonly requests?: number;
  /** Calls in flight at once (default 16). */
  readonly concurrency?: number;
  /** Calls per second (default 800): slow enough to watch, fast enough to finish in seconds. */
  readonly rate?: number;
  /** Where to write (default stdout). */
  readonly out?: { write(text: string): unknown; readonly isTTY?: boolean };
  /** Port of the caller's admin server (default: any free port). */
  readonly adminPort?: number;
  /** After the run, keep serving light traffic until `stop` resolves (or SIGINT/SIGTERM). */
  readonly keep?: boolean;
  /** Ends a `keep` run (default: the first SIGINT or SIGTERM). */
  readonly stop?: Promise<void>;
}

export interface DemoResult {
  readonly requests: number;
  readonly failed: number;
  readonly rows: readonly DemoRow[];
  readonly events: readonly string[];
  /** The caller's dashboard. */
  readonly dashboardUrl: string;
  /** Calls each payments instance received, by the caller's SPIFFE ID. */
  readonly peers: Readonly<Record<string, number>>;
  /** The call made from an identity the policy does not allow. */
  readonly denied: { readonly from: string; readonly status: number; readonly code: string | undefined };
}

export interface DemoRow {
  readonly service: string;
  readonly subset: string;
  readonly requests: number;
  readonly ok: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly retries: number;
  readonly ejections: number;
}

type Mode = 'ok' | 'fail';

const TRUST_DOMAIN = 'demo.inmesh';
const CHECKOUT = `spiffe://${TRUST_DOMAIN}/sa/checkout`;
const PAYMENTS = `spiffe://${TRUST_DOMAIN}/sa/payments`;
const REPORTING = `spiffe://${TRUST_DOMAIN}/sa/reporting`;

interface Instance {
  readonly name: string;
  readonly version: string;
  mode: Mode;
  mesh: Mesh;
  server: MeshServer;
  port: number;
  /** Peer identities the instance saw, with counts. */
  readonly peers: Map<string, number>;
}

interface Pki {
  readonly dir: string;
  tls(name: string): { ca: string; cert: string; key: string };
}

/** A development CA and a certificate per workload, written where the configs point. */
async function makePki(dir: string): Promise<Pki> {
  const ca = await createCa({ trustDomain: TRUST_DOMAIN });
  await writeFile(join(dir, 'ca.pem'), ca.cert);
  for (const [name, id] of [
    ['checkout', CHECKOUT],
    ['payments', PAYMENTS],
    ['reporting', REPORTING],
  ] as const) {
    const svid = await issueSvid({ ca, id });
    await writeFile(join(dir, `${name}.key`), svid.key, { mode: 0o600 });
    await writeFile(join(dir, `${name}.pem`), svid.cert);
  }
  return { dir, tls: (name) => ({ ca: join(dir, 'ca.pem'), cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }) };
}

async function listen(instance: Instance, port: number): Promise<void> {
  const server = instance.mesh.createServer((req, res) => {
    req.resume();
    const peer = instance.mesh.context()?.peer ?? 'plaintext';
    instance.peers.set(peer, (instance.peers.get(peer) ?? 0) + 1);
    // A little latency, different per instance, so percentiles and peak-EWMA have work to do.
    const delay = 1 + Math.random() * (instance.version === 'v2' ? 4 : 2);
    setTimeout(() => {
      if (instance.mode === 'fail') {
        res.statusCode = 503;
        res.end('overloaded');
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ instance: instance.name, version: instance.version }));
    }, delay);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  instance.server = server;
  instance.port = (server.address() as AddressInfo).port;
}

async function startInstance(name: string, version: string, pki: Pki): Promise<Instance> {
  const mesh = await createMesh({
    logger: quiet,
    config: {
      service: 'payments',
      identity: { trustDomain: TRUST_DOMAIN, tls: pki.tls('payments') },
      inbound: {
        mtls: 'strict',
        // The one policy: only checkout may charge. Everything else is denied (Istio semantics).
        authorization: [{ name: 'only-checkout-charges', from: [CHECKOUT], methods: ['POST'], paths: ['/charge'] }],
        drain: { signals: [] },
      },
    },
  });
  const instance = { name, version, mode: 'ok', mesh, port: 0, peers: new Map() } as unknown as Instance;
  await listen(instance, 0);
  return instance;
}

/** Kills an instance's server abruptly: connections in progress are cut, new ones refused. */
async function kill(instance: Instance): Promise<void> {
  const closed = new Promise<void>((resolve) => instance.server.close(() => resolve()));
  instance.server.httpServer.closeAllConnections();
  await closed;
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function configYaml(instances: readonly Instance[], routes: string): string {
  const endpoints = instances
    .map((i) => `        - { address: "127.0.0.1:${i.port}", labels: { version: ${i.version}, instance: ${i.name} } }`)
    .join('\n');
  return `# Written by the inmesh demo. Edit the routes while it runs: the mesh reloads this file.
service: checkout
identity:
  trustDomain: ${TRUST_DOMAIN}
  tls: { ca: ca.pem, cert: checkout.pem, key: checkout.key }   # made by the dev CA at start
discovery:
  - static:
      payments:
${endpoints}
services:
  payments:
    # One healthy v1 instance of three can carry the load: panic (ignore health) only below 25%.
    loadBalancer: { policy: peak-ewma, panicThreshold: 25 }
    timeout: 2s
    retries:
      attempts: 3
      perTryTimeout: 250ms
      on: [connect-failure, reset, timeout, 503]
      budget: { ratio: 0.2, minRetriesPerSecond: 20, ttl: 10s }
    outlierDetection: { consecutive5xxErrors: 3, consecutiveGatewayErrors: 3, baseEjectionTime: 1500ms, maxEjectionPercent: 50 }
    circuitBreaker: { errorThresholdPercentage: 50, volumeThreshold: 10, resetTimeout: 1s }
    subsets:
      v1: { version: v1 }
      v2: { version: v2 }
    routes:
${routes}
`;
}

const ALL_TO_V1 = `      - name: stable
        to: [ { subset: v1 } ]`;
const SPLIT_AND_CANARY = `      - name: canary
        match: { headers: { x-canary: "true" } }
        to: [ { subset: v2 } ]
      - name: split
        to: [ { subset: v1, weight: 90 }, { subset: v2, weight: 10 } ]`;

/** Light traffic, a canary now and then, until `stop` (or a signal). */
async function keepServing(mesh: Mesh, stop: Promise<void> | undefined): Promise<void> {
  let running = true;
  const stopped =
    stop ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  void stopped.then(() => (running = false));
  const worker = async () => {
    while (running) {
      try {
        const res = await request('http://payments/charge', {
          dispatcher: mesh.dispatcher,
          method: 'POST',
          body: '{"amount":1}',
          headers: { 'idempotency-key': `keep-${Math.random()}`, ...(Math.random() < 0.05 ? { 'x-canary': 'true' } : {}) },
        });
        await res.body.dump();
      } catch {
        // shown on the dashboard's error list
      }
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
  };
  await Promise.all([worker(), worker(), worker(), stopped]);
}

type MetricValue = { value: number; labels: Record<string, string | number>; metricName?: string };

/** Per-subset rows from the metrics registry and the golden stats. */
async function summaryFromMetrics(mesh: Mesh, ejections: ReadonlyMap<string, number>): Promise<DemoRow[]> {
  const durations = ((await mesh.metrics.getSingleMetric('http_client_request_duration_seconds')?.get())?.values ?? []) as MetricValue[];
  const retries = ((await mesh.metrics.getSingleMetric('inmesh_retries_total')?.get())?.values ?? []) as MetricValue[];
  return ['v1', 'v2'].map((subset) => {
    const counts = durations.filter(
      (v) =>
        v.metricName === 'http_client_request_duration_seconds_count' && v.labels.peer_service === 'payments' && v.labels.subset === subset,
    );
    // The window of the golden stats covers the whole run (under a minute).
    const signals = mesh.telemetry.stats.signals(`outbound:payments/${subset}`, 59);
    return {
      service: 'payments',
      subset,
      requests: counts.reduce((n, v) => n + v.value, 0),
      ok: counts.filter((v) => v.labels.status_code === '200').reduce((n, v) => n + v.value, 0),
      p50Ms: signals.p50Ms,
      p99Ms: signals.p99Ms,
      retries: retries.filter((v) => v.labels.peer_service === 'payments' && v.labels.subset === subset).reduce((n, v) => n + v.value, 0),
      ejections: ejections.get(subset) ?? 0,
    };
  });
}

/** Runs the demo; resolves with its summary once every call has finished. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const total = options.requests ?? 4000;
  const concurrency = options.concurrency ?? 16;
  const rate = options.rate ?? 800;
  const out = options.out ?? process.stdout;
  const tty = out.isTTY === true;
  const events: string[] = [];
  const started = performance.now();
  const stamp = () => `${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  const log = (line: string) => {
    events.push(`${stamp()}  ${line}`);
    if (tty) out.write('\r\x1b[2K');
    out.write(`${stamp()}  ${line}\n`);
  };

  const dir = await mkdtemp(join(tmpdir(), 'inmesh-demo-'));
  const pki = await makePki(dir);
  const instances = [
    await startInstance('v1-a', 'v1', pki),
    await startInstance('v1-b', 'v1', pki),
    await startInstance('v1-c', 'v1', pki),
    await startInstance('v2-a', 'v2', pki),
  ];
  const byPort = new Map(instances.map((i) => [`127.0.0.1:${i.port}`, i]));
  const file = join(dir, 'mesh.yaml');
  const writeConfig = async (routes: string) => {
    await writeFile(`${file}.tmp`, configYaml(instances, routes));
    await rename(`${file}.tmp`, file);
  };
  await writeConfig(ALL_TO_V1);

  let mesh: Mesh | undefined;
  let intruder: Mesh | undefined;
  const calls: CallEvent[] = [];
  const onCall = (message: unknown) => void calls.push(message as CallEvent);
  diagnostics.subscribe('inmesh:client:call', onCall);
  const ejections = new Map<string, number>();
  try {
    mesh = await createMesh({ config: file, logger: quiet });
    const m = mesh;
    const admin = await m.admin.listen({ port: options.adminPort ?? 0 });
    const dashboardUrl = `${admin.url}/dashboard`;
    out.write(
      `inmesh demo: 4 instances of "payments" on 127.0.0.1 (v1-a, v1-b, v1-c, v2-a), mTLS in trust domain ${TRUST_DOMAIN}\n` +
        `  caller ${CHECKOUT}, config ${file}\n` +
        `  dashboard ${dashboardUrl}  (metrics: ${admin.url}/metrics)\n`,
    );
    log('all traffic to subset v1');
    m.on('reload', (e) =>
      log(e.ok ? 'config reloaded: canary header -> v2, the rest split 90/10 v1/v2' : `config rejected: ${e.error?.message}`),
    );
    m.on('ejection', (e) => {
      const instance = byPort.get(e.endpoint.id);
      if (e.ejected) {
        const subset = instance?.version ?? '?';
        ejections.set(subset, (ejections.get(subset) ?? 0) + 1);
      }
      log(
        e.ejected
          ? `${instance?.name ?? e.endpoint.id} ejected (${e.reason}) for ${e.durationMs}ms`
          : `${instance?.name ?? e.endpoint.id} returned to service`,
      );
    });

    // The script: what happens when, as a share of the calls completed.
    const [v1a, v1b] = instances as [Instance, Instance];
    const script: { at: number; run: () => Promise<void> }[] = [
      { at: 0.2, run: async () => writeConfig(SPLIT_AND_CANARY) },
      {
        at: 0.35,
        run: async () => {
          log('killing v1-a (connections refused from now on)');
          await kill(v1a);
        },
      },
      {
        at: 0.5,
        run: async () => {
          log('v1-b starts failing with 503');
          v1b.mode = 'fail';
        },
      },
      {
        at: 0.65,
        run: async () => {
          log('v1-b recovers');
          v1b.mode = 'ok';
        },
      },
      {
        at: 0.75,
        run: async () => {
          log('v1-a restarted');
          await listen(v1a, v1a.port);
        },
      },
    ];

    let sent = 0;
    let done = 0;
    let failed = 0;
    const progress = () => {
      if (!tty) return;
      const elapsed = (performance.now() - started) / 1000;
      const retries = calls.reduce((n, c) => n + Math.max(0, c.attempts - 1), 0);
      const ej = [...ejections.values()].reduce((a, b) => a + b, 0);
      out.write(
        `\r\x1b[2K  ${String(done).padStart(5)}/${total} calls  ${(((done - failed) / Math.max(1, done)) * 100).toFixed(1)}% ok  ${Math.round(done / elapsed)} calls/s  retries ${retries}  ejections ${ej}`,
      );
    };
    const ticker = setInterval(progress, 100);
    ticker.unref();

    let nextAt = performance.now();
    const interval = 1000 / rate;
    const worker = async () => {
      while (sent < total) {
        sent++;
        nextAt += interval;
        const wait = nextAt - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const canary = Math.random() < 0.05;
        try {
          const res = await request('http://payments/charge', {
            dispatcher: m.dispatcher,
            method: 'POST',
            body: '{"amount":42}',
            // A payment is not idempotent, but an Idempotency-Key makes it safe to repeat (the
            // server deduplicates): with it the mesh may retry even after a reset or a 503.
            headers: {
              'content-type': 'application/json',
              'idempotency-key': `charge-${sent}-${started}`,
              ...(canary ? { 'x-canary': 'true' } : {}),
            },
          });
          await res.body.dump();
          if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
        } catch (err) {
          failed++;
          if (failed <= 5) log(`call failed: ${(err as Error).message}`);
        }
        done++;
        while (script.length > 0 && done >= (script[0] as { at: number }).at * total)
          await (script.shift() as { run: () => Promise<void> }).run();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    clearInterval(ticker);
    progress();
    if (tty) out.write('\n');

    // One call from an identity the policy does not allow: mTLS proves who it is, and the
    // authorization policy says no.
    intruder = await createMesh({
      logger: quiet,
      config: {
        identity: { trustDomain: TRUST_DOMAIN, tls: pki.tls('reporting') },
        discovery: [{ static: { payments: instances.filter((i) => i.server.listening).map((i) => `127.0.0.1:${i.port}`) } }],
      },
    });
    const deniedRes = await request('http://payments/charge', { dispatcher: intruder.dispatcher, method: 'POST', body: '{"amount":1}' });
    const deniedBody = (await deniedRes.body.json()) as { error?: { code?: string } };
    const denied = { from: REPORTING, status: deniedRes.statusCode, code: deniedBody.error?.code };
    log(`${REPORTING} -> payments POST /charge: ${denied.status} ${denied.code ?? ''}`);

    // The summary comes from the mesh's own metrics (what /metrics and the dashboard show).
    const rows = await summaryFromMetrics(m, ejections);
    out.write(
      `\n${formatTable(
        ['service', 'subset', 'requests', 'success', 'p50', 'p99', 'retries', 'ejections'],
        rows.map((r) => [
          r.service,
          r.subset,
          String(r.requests),
          `${((r.ok / Math.max(1, r.requests)) * 100).toFixed(2)}%`,
          `${r.p50Ms.toFixed(1)}ms`,
          `${r.p99Ms.toFixed(1)}ms`,
          String(r.retries),
          String(r.ejections),
        ]),
      )}\n`,
    );
    const peers: Record<string, number> = {};
    for (const instance of instances) for (const [peer, n] of instance.peers) peers[peer] = (peers[peer] ?? 0) + n;
    out.write(`\nPeer identities seen by payments (verified from client certificates):\n`);
    for (const [peer, n] of Object.entries(peers)) out.write(`  ${peer.padEnd(40)} ${n} calls\n`);
    out.write(`Denied: ${denied.from} -> POST /charge answered ${denied.status} ${denied.code ?? ''} (policy only-checkout-charges)\n`);
    out.write(
      failed === 0
        ? `\nEvery one of ${total} calls succeeded: retries, outlier ejection and the circuit breakers hid a dead instance and a failing one.\n`
        : `\n${failed} of ${total} calls failed.\n`,
    );
    if (options.keep) {
      out.write(`\nStill serving (--keep): watch ${dashboardUrl} ; Ctrl-C to stop.\n`);
      await keepServing(m, options.stop);
    }
    return { requests: total, failed, rows, events, peers, denied, dashboardUrl };
  } finally {
    diagnostics.unsubscribe('inmesh:client:call', onCall);
    await mesh?.close();
    await intruder?.close();
    for (const instance of instances) await instance.mesh.close({ force: true });
    await rm(dir, { recursive: true, force: true });
  }
}
