import { once } from 'node:events';
import { rename, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InmeshError } from '../../src/errors.js';
import { createCa, issueSvid, type PemPair } from '../../src/security/dev-ca.js';
import { type TlsFiles, type TlsMaterial, TlsSource, type TlsSourceEvents } from '../../src/security/tls-material.js';
import { fsHooks } from '../helpers/fs-hooks.js';
import { type RecordingLogger, recordingLogger } from '../helpers/quiet.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { Cleanup, waitForEvent } from '../helpers/wait.js';

// readFile passes through unless a test holds it, to make one reload's reads finish after another's.
vi.mock('node:fs/promises', async (importOriginal) =>
  (await import('../helpers/fs-hooks.js')).withReadFileHook(await importOriginal<typeof import('node:fs/promises')>()),
);

const TD = 'example.org';
const ORDERS = 'spiffe://example.org/sa/orders';
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Bound on waits for the file watcher (its debounce is 200 ms); a bound, not a sleep. */
const WATCH_TIMEOUT_MS = 10_000;

const dir = useTempDir('inmesh-tls-');
const cleanup = new Cleanup();
afterEach(async () => {
  fsHooks.readFile = undefined;
  vi.useRealTimers();
  await cleanup.run();
});

let ca: PemPair;
let orders: PemPair;
beforeAll(async () => {
  ca = await createCa({ trustDomain: TD });
  orders = await issueSvid({ ca, id: ORDERS, dnsNames: ['localhost'] });
});

/** Writes the three files in the temp dir, straight over any old ones. */
async function writeFiles(identity: PemPair, caPem = ca.cert): Promise<TlsFiles> {
  return {
    ca: await dir.write('ca.pem', caPem),
    cert: await dir.write('cert.pem', identity.cert),
    key: await dir.write('key.pem', identity.key),
  };
}

/** Replaces a file the way a secret volume or an editor does: a new file renamed over the old. */
async function replace(path: string, text: string): Promise<void> {
  const tmp = join(dir.path, `.incoming-${process.hrtime.bigint()}`);
  await writeFile(tmp, text);
  await rename(tmp, path);
}

async function load(files: TlsFiles, options: { watch?: boolean; logger?: RecordingLogger } = {}): Promise<TlsSource> {
  const source = await TlsSource.load(files, TD, options.logger ?? recordingLogger(), options.watch ?? false);
  cleanup.add(() => source.close());
  return source;
}

/** Records every event of a source, in order. */
function record(source: TlsSource) {
  const events: { name: keyof TlsSourceEvents; arg: unknown }[] = [];
  for (const name of ['rotate', 'rejected', 'expiring'] as const) source.on(name, (arg: unknown) => void events.push({ name, arg }));
  return events;
}

/** The InmeshError a promise rejects with (fails the test if it resolves or rejects otherwise). */
async function rejection(promise: Promise<unknown>): Promise<InmeshError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InmeshError);
  return err as InmeshError;
}

describe('TlsSource.load', () => {
  it('reads CA, certificate and key, and exposes the identity as generation 1', async () => {
    const files = await writeFiles(orders);
    const source = await load(files);
    const m = source.current;
    expect(m.id).toEqual({ trustDomain: TD, path: '/sa/orders', uri: ORDERS });
    expect(m.generation).toBe(1);
    expect({ ca: m.ca, cert: m.cert, key: m.key }).toEqual({ ca: ca.cert, cert: orders.cert, key: orders.key });
    expect(m.notBefore.getTime()).toBeLessThanOrEqual(Date.now());
    expect(m.notAfter.getTime() - m.notBefore.getTime()).toBe(DAY_MS);
    expect(m.secureContext).toBeDefined();
    expect(source.secondsToExpiry).toBeGreaterThan(DAY_MS / 1000 - 5 * 60);
    expect(source.secondsToExpiry).toBeLessThanOrEqual(DAY_MS / 1000);
  });

  it('gives clients a secureContext that carries CA, certificate and key into a real mTLS handshake', async () => {
    const server = await load(await writeFiles(orders));
    const gateway = await issueSvid({ ca, id: 'spiffe://example.org/sa/gateway' });
    const clientFiles = {
      ca: await dir.write('client-ca.pem', ca.cert),
      cert: await dir.write('client-cert.pem', gateway.cert),
      key: await dir.write('client-key.pem', gateway.key),
    };
    const client = await load(clientFiles);

    const sockets = new Set<TLSSocket>();
    let peer: ((san: string | undefined) => void) | undefined;
    const serverSawPeer = new Promise<string | undefined>((resolve) => {
      peer = resolve;
    });
    // The secureContext is for clients (tls.createServer ignores that option); a server takes the PEMs.
    const { ca: serverCa, cert, key } = server.current;
    const tlsServer = createServer({ ca: serverCa, cert, key, requestCert: true, rejectUnauthorized: true }, (socket) => {
      sockets.add(socket);
      peer?.(socket.authorized ? socket.getPeerCertificate().subjectaltname : undefined);
    });
    cleanup.add(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          tlsServer.close(() => resolve());
        }),
    );
    tlsServer.listen(0, '127.0.0.1');
    await once(tlsServer, 'listening');
    const socket = connect({
      host: '127.0.0.1',
      port: (tlsServer.address() as AddressInfo).port,
      servername: 'localhost',
      secureContext: client.current.secureContext,
    });
    cleanup.add(() => socket.destroy());
    await once(socket, 'secureConnect');
    expect(socket.authorized).toBe(true);
    expect(socket.getPeerCertificate().subjectaltname).toContain(ORDERS);
    expect(await serverSawPeer).toBe('URI:spiffe://example.org/sa/gateway');
  });

  it('refuses a key that does not belong to the certificate: ERR_TLS_MATERIAL', async () => {
    const other = await issueSvid({ ca, id: ORDERS });
    const files = await writeFiles({ cert: orders.cert, key: other.key });
    const err = await rejection(load(files));
    expect(err.code).toBe('ERR_TLS_MATERIAL');
    expect(err.message).toContain(files.key);
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('refuses an expired certificate: ERR_TLS_MATERIAL', async () => {
    const expired = await issueSvid({ ca, id: ORDERS, notBefore: new Date(Date.now() - 2 * DAY_MS), ttlMs: DAY_MS });
    const files = await writeFiles(expired);
    const err = await rejection(load(files));
    expect(err.code).toBe('ERR_TLS_MATERIAL');
    expect(err.message).toMatch(/expired at/);
  });

  it('refuses a certificate of another trust domain: ERR_TLS_MATERIAL', async () => {
    const otherCa = await createCa({ trustDomain: 'other.org' });
    const foreign = await issueSvid({ ca: otherCa, id: 'spiffe://other.org/sa/orders' });
    const files = await writeFiles(foreign, otherCa.cert);
    const err = await rejection(load(files));
    expect(err.code).toBe('ERR_TLS_MATERIAL');
    expect(err.message).toMatch(/not a valid SVID: .*not in trust domain example\.org/);
  });

  it('refuses a certificate without a SPIFFE ID: ERR_TLS_MATERIAL', async () => {
    const bare = await issueSvid({ ca, id: ORDERS, dnsNames: ['orders.local'], unsafe: { uris: [] } });
    const err = await rejection(load(await writeFiles(bare)));
    expect(err.code).toBe('ERR_TLS_MATERIAL');
    expect(err.message).toMatch(/no URI SAN/);
  });

  it('refuses the CA certificate as the workload certificate: ERR_TLS_MATERIAL', async () => {
    const err = await rejection(load(await writeFiles(ca)));
    expect(err.code).toBe('ERR_TLS_MATERIAL');
    expect(err.message).toMatch(/CA certificate/);
  });

  it('refuses a missing file, naming it: ERR_TLS_MATERIAL', async () => {
    const files = await writeFiles(orders);
    const missing = { ...files, key: join(dir.path, 'nope.pem') };
    const err = await rejection(load(missing));
    expect(err.code).toBe('ERR_TLS_MATERIAL');
    expect(err.message).toContain(missing.key);
  });

  it('refuses files that are not PEM: ERR_TLS_MATERIAL', async () => {
    const err = await rejection(load(await writeFiles({ cert: 'not a certificate', key: orders.key })));
    expect(err.code).toBe('ERR_TLS_MATERIAL');
  });
});

describe('TlsSource.reload', () => {
  it('rotates to new files: generation + 1, a rotate event with the new material', async () => {
    const files = await writeFiles(orders);
    const source = await load(files);
    const first = source.current;
    const events = record(source);

    const next = await issueSvid({ ca, id: 'spiffe://example.org/sa/orders-v2' });
    await writeFiles(next);
    expect(await source.reload()).toBe(true);

    expect(source.current.generation).toBe(2);
    expect(source.current.id.uri).toBe('spiffe://example.org/sa/orders-v2');
    expect(source.current.cert).toBe(next.cert);
    expect(source.current.secureContext).not.toBe(first.secureContext);
    expect(events).toEqual([{ name: 'rotate', arg: source.current }]);
    // The old generation is left as it was, for connections still using it.
    expect(first.generation).toBe(1);
    expect(first.cert).toBe(orders.cert);
  });

  it('does not rotate when the files have not changed', async () => {
    const source = await load(await writeFiles(orders));
    const first = source.current;
    const events = record(source);
    expect(await source.reload()).toBe(false);
    expect(source.current).toBe(first);
    expect(events).toEqual([]);
  });

  it('keeps the current material when the new files are invalid: rejected event, false, a warning', async () => {
    const logger = recordingLogger();
    const files = await writeFiles(orders);
    const source = await load(files, { logger });
    const first = source.current;
    const events = record(source);

    const other = await issueSvid({ ca, id: ORDERS });
    await writeFile(files.key, other.key); // a key that does not match the certificate
    expect(await source.reload()).toBe(false);

    expect(source.current).toBe(first);
    expect(events).toEqual([{ name: 'rejected', arg: expect.objectContaining({ code: 'ERR_TLS_MATERIAL' }) }]);
    expect(logger.lines.some((l) => l.level === 'warn' && /rejected/.test(l.msg ?? ''))).toBe(true);
  });

  it.each([
    ['an expired certificate', async () => issueSvid({ ca, id: ORDERS, notBefore: new Date(Date.now() - 2 * DAY_MS), ttlMs: DAY_MS })],
    [
      'a certificate of another trust domain',
      async () => issueSvid({ ca: await createCa({ trustDomain: 'other.org' }), id: 'spiffe://other.org/sa/x' }),
    ],
  ])('keeps the current material when the new files hold %s', async (_what, make) => {
    const files = await writeFiles(orders);
    const source = await load(files);
    const first = source.current;
    const events = record(source);
    await writeFiles(await make());
    expect(await source.reload()).toBe(false);
    expect(source.current).toBe(first);
    expect(events.map((e) => e.name)).toEqual(['rejected']);
  });

  it('counts generations by rotations, not by attempts', async () => {
    const files = await writeFiles(orders);
    const source = await load(files);
    await writeFile(files.cert, 'broken');
    expect(await source.reload()).toBe(false);
    const next = await issueSvid({ ca, id: ORDERS });
    await writeFiles(next);
    expect(await source.reload()).toBe(true);
    expect(source.current.generation).toBe(2);
  });

  /** Holds the next reload's three reads (CA, certificate, key), once read, until released. */
  function holdNextReload() {
    let held = 0;
    let allHeld: () => void = () => {};
    const reached = new Promise<void>((resolve) => {
      allHeld = resolve;
    });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const earlier = fsHooks.readFile;
    fsHooks.readFile = (path) => {
      if (held === 3) return earlier?.(path);
      if (++held === 3) allHeld();
      return gate;
    };
    return { reached, release };
  }

  it('never rolls back to older files read by a reload that finishes after a newer one', async () => {
    const source = await load(await writeFiles(orders));
    const events = record(source);

    // Reload 1 reads set B, and is held until reload 2 has read set C and rotated to it.
    await writeFiles(await issueSvid({ ca, id: 'spiffe://example.org/sa/b' }));
    const hold = holdNextReload();
    const first = source.reload();
    await hold.reached;
    await writeFiles(await issueSvid({ ca, id: 'spiffe://example.org/sa/c' }));
    expect(await source.reload()).toBe(true);
    expect(source.current.id.path).toBe('/sa/c');

    hold.release();
    expect(await first).toBe(false);
    expect(source.current.id.path).toBe('/sa/c');
    expect(source.current.generation).toBe(2);
    expect(events.map((e) => e.name)).toEqual(['rotate']);
  });

  it('numbers overlapping rotations one after the other', async () => {
    const source = await load(await writeFiles(orders));
    const rotations: TlsMaterial[] = [];
    source.on('rotate', (m) => rotations.push(m));

    await writeFiles(await issueSvid({ ca, id: 'spiffe://example.org/sa/b' }));
    const holdB = holdNextReload();
    const b = source.reload();
    await holdB.reached;
    await writeFiles(await issueSvid({ ca, id: 'spiffe://example.org/sa/c' }));
    const holdC = holdNextReload();
    const c = source.reload();
    await holdC.reached;

    holdB.release();
    expect(await b).toBe(true);
    holdC.release();
    expect(await c).toBe(true);
    expect(rotations.map((m) => [m.id.path, m.generation])).toEqual([
      ['/sa/b', 2],
      ['/sa/c', 3],
    ]);
    expect(source.current).toBe(rotations[1]);
  });

  it('does nothing once closed', async () => {
    const files = await writeFiles(orders);
    const source = await load(files);
    const events = record(source);
    source.close();
    await writeFiles(await issueSvid({ ca, id: ORDERS }));
    expect(await source.reload()).toBe(false);
    expect(source.current.generation).toBe(1);
    expect(events).toEqual([]);
  });
});

describe('TlsSource file watching', () => {
  it('rotates by itself after the files are replaced', async () => {
    const files = await writeFiles(orders);
    const source = await load(files, { watch: true });
    const rotated = waitForEvent<[TlsMaterial]>(source, 'rotate', () => true, WATCH_TIMEOUT_MS);

    const next = await issueSvid({ ca, id: 'spiffe://example.org/sa/orders-v2' });
    // Key first, then certificate, as a secret update may well do: the debounce takes them together,
    // and a read caught in between is rejected and followed by another.
    await replace(files.key, next.key);
    await replace(files.cert, next.cert);

    const [material] = await rotated;
    expect(material.id.uri).toBe('spiffe://example.org/sa/orders-v2');
    expect(material.cert).toBe(next.cert);
    expect(source.current).toBe(material);
  });

  it('keeps the material when a replaced file is invalid, then rotates when it is fixed', async () => {
    const files = await writeFiles(orders);
    const source = await load(files, { watch: true });
    const first = source.current;

    const rejected = waitForEvent<[Error]>(source, 'rejected', () => true, WATCH_TIMEOUT_MS);
    await replace(files.cert, 'garbage');
    const [err] = await rejected;
    expect((err as InmeshError).code).toBe('ERR_TLS_MATERIAL');
    expect(source.current).toBe(first);

    const rotated = waitForEvent<[TlsMaterial]>(source, 'rotate', () => true, WATCH_TIMEOUT_MS);
    const next = await issueSvid({ ca, id: ORDERS });
    await replace(files.key, next.key);
    await replace(files.cert, next.cert);
    const [material] = await rotated;
    expect(material.cert).toBe(next.cert);
  });
});

describe('TlsSource expiry warning', () => {
  it('fires "expiring" at load when less than a third of the lifetime is left', async () => {
    const logger = recordingLogger();
    // 3 h lifetime, 2 h 10 min gone: 50 minutes (less than a third) left.
    const old = await issueSvid({ ca, id: ORDERS, ttlMs: 3 * HOUR_MS, notBefore: new Date(Date.now() - 130 * MINUTE_MS) });
    const files = await writeFiles(old);
    const source = await load(files, { logger });
    // Attached after load resolved, as any caller would: the event must not be gone by then.
    const [info] = await waitForEvent<[TlsSourceEvents['expiring'][0]]>(source, 'expiring', () => true, WATCH_TIMEOUT_MS);
    expect(info.id).toBe(ORDERS);
    expect(info.notAfter).toEqual(source.current.notAfter);
    expect(info.secondsLeft).toBeGreaterThan(45 * 60);
    expect(info.secondsLeft).toBeLessThanOrEqual(50 * 60);
    expect(logger.lines.some((l) => l.level === 'warn' && /expires soon/.test(l.msg ?? ''))).toBe(true);
  });

  it('does not fire "expiring" once the source is closed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const old = await issueSvid({ ca, id: ORDERS, ttlMs: 3 * HOUR_MS, notBefore: new Date(Date.now() - 130 * MINUTE_MS) });
    const source = await load(await writeFiles(old));
    const events = record(source);
    source.close();
    vi.advanceTimersByTime(HOUR_MS);
    expect(events).toEqual([]);
  });

  it('fires "expiring" when two thirds of the lifetime have passed, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const notBefore = new Date(Date.now() - MINUTE_MS);
    const fresh = await issueSvid({ ca, id: ORDERS, ttlMs: 3 * HOUR_MS, notBefore });
    const source = await load(await writeFiles(fresh));
    const events = record(source);
    // Warn at notBefore + 2 h, i.e. 2 h - 1 min from now.
    vi.advanceTimersByTime(2 * HOUR_MS - MINUTE_MS - 1_000);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(2_000);
    expect(events).toEqual([{ name: 'expiring', arg: { id: ORDERS, notAfter: source.current.notAfter, secondsLeft: 3600 } }]);
    vi.advanceTimersByTime(DAY_MS);
    expect(events).toHaveLength(1);
  });

  it('re-arms across the ~24.8-day limit of setTimeout for long lifetimes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const notBefore = new Date(Date.now() - MINUTE_MS);
    const long = await issueSvid({ ca, id: ORDERS, ttlMs: 90 * DAY_MS, notBefore });
    const source = await load(await writeFiles(long));
    const events = record(source);
    vi.advanceTimersByTime(60 * DAY_MS - 2 * MINUTE_MS); // warn at 60 days after notBefore
    expect(events).toEqual([]);
    vi.advanceTimersByTime(2 * MINUTE_MS);
    expect(events).toEqual([{ name: 'expiring', arg: expect.objectContaining({ secondsLeft: 30 * 24 * 3600 }) }]);
  });

  it('re-arms on rotation: a fresh certificate moves the warning, an old one brings it forward', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const files = await writeFiles(await issueSvid({ ca, id: ORDERS, ttlMs: 3 * HOUR_MS, notBefore: new Date(Date.now() - MINUTE_MS) }));
    const source = await load(files);
    const events = record(source);
    vi.advanceTimersByTime(HOUR_MS);

    // Rotated to a fresh 3 h certificate: the old warning (in 1 h) is cancelled, the new one is in 2 h.
    await writeFiles(await issueSvid({ ca, id: ORDERS, ttlMs: 3 * HOUR_MS, notBefore: new Date(Date.now()) }));
    expect(await source.reload()).toBe(true);
    vi.advanceTimersByTime(2 * HOUR_MS - 1_000);
    expect(events.map((e) => e.name)).toEqual(['rotate']);
    vi.advanceTimersByTime(1_000);
    expect(events.map((e) => e.name)).toEqual(['rotate', 'expiring']);
  });
});
