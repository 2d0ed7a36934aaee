import { createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InmeshError, isInmeshError } from '../../src/errors.js';
import { createCa, issueSvid, type PemPair } from '../../src/security/dev-ca.js';
import { Cleanup } from '../helpers/wait.js';

const TD = 'example.org';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** X.509 validity has second precision; dev-ca also backdates by a minute for clock skew. */
const SLACK_MS = 2 * 60_000;

const x509 = (pem: string) => new X509Certificate(pem);
const validity = (pem: string) => {
  const cert = x509(pem);
  return { from: new Date(cert.validFrom).getTime(), to: new Date(cert.validTo).getTime() };
};

/** Expects `promise` to reject with an InmeshError of `code`, and returns it. */
async function rejection(promise: Promise<unknown>, code: string): Promise<InmeshError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InmeshError);
  expect((err as InmeshError).code).toBe(code);
  return err as InmeshError;
}

let ca: PemPair;
let otherCa: PemPair;
beforeAll(async () => {
  ca = await createCa({ trustDomain: TD });
  otherCa = await createCa({ trustDomain: TD });
});

describe('createCa', () => {
  it('creates a self-signed CA certificate for the trust domain', () => {
    const cert = x509(ca.cert);
    expect(cert.ca).toBe(true);
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.subject).toContain(TD);
    // X509-SVID §3.2: a signing certificate's SPIFFE ID is the trust domain's, without a path.
    expect(cert.subjectAltName).toBe('URI:spiffe://example.org');
  });

  it('returns a PKCS#8 key that belongs to the certificate', () => {
    expect(ca.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(ca.key);
    expect(key.asymmetricKeyType).toBe('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(x509(ca.cert).checkPrivateKey(key)).toBe(true);
  });

  it('makes each CA with its own key and serial', () => {
    expect(x509(otherCa.cert).serialNumber).not.toBe(x509(ca.cert).serialNumber);
    expect(x509(otherCa.cert).checkPrivateKey(createPrivateKey(ca.key))).toBe(false);
  });

  it('is valid from about now for 365 days by default', () => {
    const { from, to } = validity(ca.cert);
    expect(from).toBeLessThanOrEqual(Date.now());
    expect(from).toBeGreaterThan(Date.now() - SLACK_MS);
    expect(Math.abs(to - Date.now() - 365 * DAY_MS)).toBeLessThan(SLACK_MS);
  });

  it('honours ttlMs', async () => {
    const short = await createCa({ trustDomain: TD, ttlMs: 2 * HOUR_MS });
    expect(Math.abs(validity(short.cert).to - Date.now() - 2 * HOUR_MS)).toBeLessThan(SLACK_MS);
  });

  it.each([
    ['upper case', 'Example.org'],
    ['a port', 'example.org:8443'],
    ['userinfo', 'me@example.org'],
    ['empty', ''],
    ['a space', 'example org'],
    ['a scheme', 'spiffe://example.org'],
    // Regression: "example.org/x" parsed as trust domain example.org with a path, and was accepted.
    ['a path', 'example.org/ns'],
    ['a trailing slash', 'example.org/'],
  ])('refuses a trust domain with %s: ERR_INVALID_ARGUMENT', async (_what, trustDomain) => {
    const err = await rejection(createCa({ trustDomain }), 'ERR_INVALID_ARGUMENT');
    expect(isInmeshError(err, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect(err.message).toContain(JSON.stringify(trustDomain));
  });
});

describe('issueSvid', () => {
  let leaf: PemPair;
  beforeAll(async () => {
    leaf = await issueSvid({ ca, id: 'spiffe://example.org/sa/orders' });
  });

  it('issues a leaf (not a CA) signed by the CA', () => {
    const cert = x509(leaf.cert);
    const caCert = x509(ca.cert);
    expect(cert.ca).toBe(false);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.issuer).toBe(caCert.subject);
  });

  it('is not verified by another CA of the same trust domain', () => {
    expect(x509(leaf.cert).verify(x509(otherCa.cert).publicKey)).toBe(false);
  });

  it('carries the SPIFFE ID as its only SAN, and a key that belongs to it', () => {
    const cert = x509(leaf.cert);
    expect(cert.subjectAltName).toBe('URI:spiffe://example.org/sa/orders');
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'])); // serverAuth, clientAuth
    expect(cert.checkPrivateKey(createPrivateKey(leaf.key))).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(ca.key))).toBe(false);
  });

  it('adds DNS names after the SPIFFE ID', async () => {
    const web = await issueSvid({ ca, id: 'spiffe://example.org/sa/web', dnsNames: ['web.local', 'localhost'] });
    expect(x509(web.cert).subjectAltName).toBe('URI:spiffe://example.org/sa/web, DNS:web.local, DNS:localhost');
  });

  it('is valid for about 24 hours by default, from about now', () => {
    const { from, to } = validity(leaf.cert);
    expect(from).toBeLessThanOrEqual(Date.now());
    expect(from).toBeGreaterThan(Date.now() - SLACK_MS);
    expect(Math.abs(to - Date.now() - DAY_MS)).toBeLessThan(SLACK_MS);
    expect(to - from).toBe(DAY_MS);
  });

  it('honours ttlMs', async () => {
    const short = await issueSvid({ ca, id: 'spiffe://example.org/sa/orders', ttlMs: HOUR_MS });
    const { from, to } = validity(short.cert);
    expect(to - from).toBe(HOUR_MS);
  });

  it('honours notBefore (with ttlMs counted from it)', async () => {
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 3 * DAY_MS);
    const old = await issueSvid({ ca, id: 'spiffe://example.org/sa/orders', notBefore, ttlMs: DAY_MS });
    expect(validity(old.cert)).toEqual({ from: notBefore.getTime(), to: notBefore.getTime() + DAY_MS });
  });

  it('gives each certificate its own key and serial', async () => {
    const again = await issueSvid({ ca, id: 'spiffe://example.org/sa/orders' });
    expect(x509(again.cert).serialNumber).not.toBe(x509(leaf.cert).serialNumber);
    expect(x509(again.cert).checkPrivateKey(createPrivateKey(leaf.key))).toBe(false);
  });

  it.each([
    ['upper-case trust domain', 'spiffe://Example.org/sa/orders'],
    ['wrong scheme', 'https://example.org/sa/orders'],
    ['trailing slash', 'spiffe://example.org/sa/orders/'],
    ['dot segment', 'spiffe://example.org/sa/../admin'],
    ['query', 'spiffe://example.org/sa/orders?x'],
    ['no scheme', 'example.org/sa/orders'],
    // X509-SVID §3.1: a leaf's SPIFFE ID MUST have a non-root path.
    ['no path', 'spiffe://example.org'],
  ])('refuses an invalid SPIFFE ID (%s): ERR_INVALID_ARGUMENT', async (_what, id) => {
    const err = await rejection(issueSvid({ ca, id }), 'ERR_INVALID_ARGUMENT');
    expect(err.message).toContain(JSON.stringify(id));
  });

  it('refuses a CA key that is not PEM: ERR_INVALID_ARGUMENT', async () => {
    await rejection(issueSvid({ ca: { cert: ca.cert, key: 'not a key' }, id: 'spiffe://example.org/sa/orders' }), 'ERR_INVALID_ARGUMENT');
  });

  it('lets tests make what must be refused (unsafe): several URI SANs, none, a CA leaf, an invalid ID', async () => {
    const two = await issueSvid({
      ca,
      id: 'spiffe://example.org/a',
      unsafe: { uris: ['spiffe://example.org/a', 'spiffe://example.org/b'] },
    });
    expect(x509(two.cert).subjectAltName).toBe('URI:spiffe://example.org/a, URI:spiffe://example.org/b');
    const none = await issueSvid({ ca, id: 'spiffe://example.org/a', unsafe: { uris: [] } });
    expect(x509(none.cert).subjectAltName).toBeUndefined();
    const caLeaf = await issueSvid({ ca, id: 'spiffe://example.org/a', unsafe: { isCa: true } });
    expect(x509(caLeaf.cert).ca).toBe(true);
    const invalid = await issueSvid({ ca, id: 'spiffe://EXAMPLE.org/a', unsafe: {} });
    expect(x509(invalid.cert).subjectAltName).toBe('URI:spiffe://EXAMPLE.org/a');
  });
});

describe('dev-ca certificates in a real mTLS handshake (loopback)', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  interface Accepted {
    readonly authorized: boolean;
    readonly authorizationError: string | undefined;
    readonly peerSan: string | undefined;
  }

  /** A TLS server that asks for a client certificate and reports how it judged the client's. */
  async function listen(identity: PemPair, caPem: string, rejectUnauthorized = true) {
    const sockets = new Set<TLSSocket>();
    let onAccepted: (a: Accepted) => void = () => {};
    const accepted = new Promise<Accepted>((resolve) => {
      onAccepted = resolve;
    });
    const server = createServer({ ...identity, ca: caPem, requestCert: true, rejectUnauthorized, minVersion: 'TLSv1.2' }, (socket) => {
      const err = socket.authorizationError;
      onAccepted({
        authorized: socket.authorized,
        authorizationError: err === undefined || err === null ? undefined : String((err as { code?: string }).code ?? err),
        peerSan: socket.getPeerCertificate().subjectaltname,
      });
      socket.end('hello');
    });
    server.on('connection', (s) => {
      s.on('error', () => {});
    });
    server.on('secureConnection', (s) => sockets.add(s));
    server.on('tlsClientError', () => {});
    cleanup.add(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { port: (server.address() as AddressInfo).port, accepted };
  }

  /** Connects with `identity`, trusting `caPem`; resolves on secureConnect, rejects on error. */
  async function dial(port: number, identity: PemPair | undefined, caPem: string): Promise<TLSSocket> {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: caPem, ...identity });
    cleanup.add(() => socket.destroy());
    await once(socket, 'secureConnect');
    return socket;
  }

  it('completes a handshake in which each side verifies the other', async () => {
    const server = await issueSvid({ ca, id: 'spiffe://example.org/sa/orders', dnsNames: ['localhost'] });
    const client = await issueSvid({ ca, id: 'spiffe://example.org/sa/gateway' });
    const { port, accepted } = await listen(server, ca.cert);
    const socket = await dial(port, client, ca.cert);
    expect(socket.authorized).toBe(true);
    expect(socket.getPeerCertificate().subjectaltname).toBe('URI:spiffe://example.org/sa/orders, DNS:localhost');
    const [data] = (await once(socket, 'data')) as [Buffer];
    expect(data.toString()).toBe('hello');
    expect(await accepted).toEqual({ authorized: true, authorizationError: undefined, peerSan: 'URI:spiffe://example.org/sa/gateway' });
  });

  it('fails the handshake when the server certificate has expired', async () => {
    const expired = await issueSvid({
      ca,
      id: 'spiffe://example.org/sa/orders',
      dnsNames: ['localhost'],
      notBefore: new Date(Date.now() - 2 * DAY_MS),
      ttlMs: DAY_MS,
    });
    const client = await issueSvid({ ca, id: 'spiffe://example.org/sa/gateway' });
    const { port } = await listen(expired, ca.cert);
    await expect(dial(port, client, ca.cert)).rejects.toMatchObject({ code: 'CERT_HAS_EXPIRED' });
  });

  it('fails the handshake when the server certificate is not valid yet', async () => {
    const future = await issueSvid({
      ca,
      id: 'spiffe://example.org/sa/orders',
      dnsNames: ['localhost'],
      notBefore: new Date(Date.now() + DAY_MS),
    });
    const client = await issueSvid({ ca, id: 'spiffe://example.org/sa/gateway' });
    const { port } = await listen(future, ca.cert);
    await expect(dial(port, client, ca.cert)).rejects.toMatchObject({ code: 'CERT_NOT_YET_VALID' });
  });

  it('reports an expired client certificate as unauthorized on the server', async () => {
    const server = await issueSvid({ ca, id: 'spiffe://example.org/sa/orders', dnsNames: ['localhost'] });
    const expired = await issueSvid({
      ca,
      id: 'spiffe://example.org/sa/gateway',
      notBefore: new Date(Date.now() - 2 * DAY_MS),
      ttlMs: DAY_MS,
    });
    // rejectUnauthorized: false, so that the server's verdict can be looked at rather than inferred.
    const { port, accepted } = await listen(server, ca.cert, false);
    await dial(port, expired, ca.cert);
    expect(await accepted).toMatchObject({ authorized: false, authorizationError: 'CERT_HAS_EXPIRED' });
  });

  it('fails the handshake for a server certificate from another CA', async () => {
    const foreign = await issueSvid({ ca: otherCa, id: 'spiffe://example.org/sa/orders', dnsNames: ['localhost'] });
    const client = await issueSvid({ ca, id: 'spiffe://example.org/sa/gateway' });
    const { port } = await listen(foreign, ca.cert);
    await expect(dial(port, client, ca.cert)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('reports a client certificate from another CA as unauthorized on the server', async () => {
    const server = await issueSvid({ ca, id: 'spiffe://example.org/sa/orders', dnsNames: ['localhost'] });
    const foreign = await issueSvid({ ca: otherCa, id: 'spiffe://example.org/sa/gateway' });
    const { port, accepted } = await listen(server, ca.cert, false);
    await dial(port, foreign, ca.cert);
    expect(await accepted).toMatchObject({ authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});
