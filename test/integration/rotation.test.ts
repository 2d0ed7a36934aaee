// Issue #3 §6: rotating the certificate files mid-run: new connections present the new
// certificate, no request fails. Both sides rotate: the client's certificate (seen by the
// server) and the server's (seen by a fresh client).
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { connect, type PeerCertificate } from 'node:tls';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';
import { startLoad, waitFor } from '../helpers/load.js';
import { type MeshService, startMeshService } from '../helpers/mesh-service.js';
import { createPki, type Pki } from '../helpers/pki.js';
import { recordingLogger } from '../helpers/quiet.js';

const TD = 'example.org';
const ORDERS = `spiffe://${TD}/sa/orders`;
const PAYMENTS = `spiffe://${TD}/sa/payments`;

describe('certificate rotation without restart', () => {
  let pki: Pki;
  let svc: MeshService;
  let client: Mesh;
  const clientSerials = new Set<string>();

  beforeAll(async () => {
    pki = await createPki(TD);
    await pki.issue('payments', PAYMENTS);
    await pki.issue('orders', ORDERS);
    svc = await startMeshService({ identity: { trustDomain: TD, tls: pki.tls('payments') } }, (req, res) => {
      // The serial of the certificate this connection's client presented.
      const serial = (req.socket as unknown as { getPeerCertificate(): PeerCertificate }).getPeerCertificate().serialNumber;
      clientSerials.add(serial);
      req.resume();
      res.end(serial);
    });
    client = await createMesh({
      logger: recordingLogger(),
      config: {
        identity: { trustDomain: TD, tls: pki.tls('orders') },
        discovery: [{ static: { payments: [svc.address] } }],
        services: { payments: { retries: { attempts: 3, on: ['connect-failure', 'reset'] } } },
      },
    });
  });
  afterAll(async () => {
    await client?.close();
    await svc?.close();
    await pki?.cleanup();
  });

  async function serverSerial(): Promise<string> {
    const orders = await pki.issue('probe', ORDERS);
    const socket = connect({
      host: '127.0.0.1',
      port: svc.port,
      ca: pki.ca.cert,
      cert: orders.pem.cert,
      key: orders.pem.key,
      rejectUnauthorized: false,
    });
    await once(socket, 'secureConnect');
    const serial = socket.getPeerCertificate().serialNumber;
    socket.destroy();
    return serial;
  }

  it('rotates the client certificate: new connections present it, nothing fails', async () => {
    const load = startLoad(async () => {
      const res = await request('http://payments/x', { dispatcher: client.dispatcher });
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      return res.body.text();
    });
    try {
      await load.completed(30);
      const before = new Set(clientSerials);
      const rotated = once(client, 'tls');
      const next = await pki.issue('orders', ORDERS);
      const [event] = (await rotated) as [{ kind: string }];
      expect(event.kind).toBe('rotate');
      // Existing connections finish on the old certificate; close them so new ones are made.
      svc.server.httpServer.closeIdleConnections();
      const newSerial = new X509Certificate(next.pem.cert).serialNumber;
      await waitFor(() => clientSerials.has(newSerial), 'a connection presenting the new client certificate');
      expect(before.has(newSerial)).toBe(false);
      await load.completed(30);
    } finally {
      await load.stop();
    }
    expect(load.result.failed).toBe(0);
  });

  it('rotates the server certificate: new handshakes get it', async () => {
    const before = await serverSerial();
    const rotated = once(svc.mesh, 'tls');
    const next = await pki.issue('payments', PAYMENTS);
    await rotated;
    const expected = new X509Certificate(next.pem.cert).serialNumber;
    expect(expected).not.toBe(before);
    expect(await serverSerial()).toBe(expected);
    // And the mesh client still verifies it.
    const res = await request('http://payments/after', { dispatcher: client.dispatcher });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });
});
