// Issue #3 §6: mTLS with SPIFFE identities over real TLS on loopback, certificates made by the
// dev CA: allowed identity -> 200, another -> 403; no cert, another CA's cert, an expired cert,
// no SPIFFE URI, two URI SANs, a CA certificate as leaf -> refused; a server presenting the
// wrong SPIFFE ID is refused by the client (impersonation).
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, InmeshError, type Mesh } from '../../src/index.js';
import { type MeshService, startMeshService, whoami } from '../helpers/mesh-service.js';
import { createPki, type Pki } from '../helpers/pki.js';
import { recordingLogger } from '../helpers/quiet.js';

const TD = 'example.org';
const ORDERS = `spiffe://${TD}/sa/orders`;
const GATEWAY = `spiffe://${TD}/sa/gateway`;
const PAYMENTS = `spiffe://${TD}/sa/payments`;

describe('mTLS with SPIFFE identities', () => {
  let pki: Pki;
  let otherPki: Pki;
  let payments: MeshService;
  let imposter: MeshService;
  const meshes: Mesh[] = [];

  async function clientMesh(name: string, target: string, retries = 1): Promise<Mesh> {
    const mesh = await createMesh({
      logger: recordingLogger(),
      config: {
        identity: { trustDomain: TD, tls: pki.tls(name) },
        discovery: [{ static: { payments: [target] } }],
        services: { payments: { retries: { attempts: retries } } },
      },
    });
    meshes.push(mesh);
    return mesh;
  }

  beforeAll(async () => {
    pki = await createPki(TD);
    otherPki = await createPki(TD);
    await pki.issue('payments', PAYMENTS);
    await pki.issue('orders', ORDERS);
    await pki.issue('gateway', GATEWAY);
    await pki.issue('imposter', `spiffe://${TD}/sa/imposter`);
    payments = await startMeshService(
      {
        service: 'payments',
        identity: { trustDomain: TD, tls: pki.tls('payments') },
        inbound: { authorization: [{ name: 'orders-may-charge', from: [ORDERS], paths: ['/charge'] }] },
      },
      whoami('payments'),
    );
    imposter = await startMeshService({ identity: { trustDomain: TD, tls: pki.tls('imposter') } }, whoami('imposter'));
  });
  afterAll(async () => {
    for (const mesh of meshes) await mesh.close();
    await payments?.close();
    await imposter?.close();
    await pki?.cleanup();
    await otherPki?.cleanup();
  });

  it('lets an allowed identity in, and the handler sees who called', async () => {
    const orders = await clientMesh('orders', payments.address);
    const res = await request('http://payments/charge', { dispatcher: orders.dispatcher, method: 'POST', body: '{}' });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ service: 'payments', peer: ORDERS, path: '/charge' });
  });

  it('answers 403 with a JSON error to an identity no policy allows', async () => {
    const gateway = await clientMesh('gateway', payments.address);
    const res = await request('http://payments/charge', { dispatcher: gateway.dispatcher });
    expect(res.statusCode).toBe(403);
    const body = (await res.body.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ERR_AUTHZ_DENIED');
    expect(body.error.message).toContain(GATEWAY);
  });

  /** A raw mTLS client (no mesh) presenting `cert`, or nothing. */
  async function rawCall(tls: { cert?: string; key?: string; ca?: string }): Promise<number | Error> {
    const agent = new Agent({ connect: { ca: pki.ca.cert, rejectUnauthorized: false, ...tls } });
    try {
      const res = await request(`https://${payments.address}/charge`, { dispatcher: agent, method: 'POST', body: '{}' });
      await res.body.dump();
      return res.statusCode;
    } catch (err) {
      return err as Error;
    } finally {
      await agent.close();
    }
  }

  it('refuses a client without a certificate', async () => {
    expect(await rawCall({})).toBeInstanceOf(Error);
  });

  it('refuses a certificate from another CA, even with an allowed SPIFFE ID', async () => {
    const forged = await otherPki.issue('orders', ORDERS);
    expect(await rawCall({ cert: forged.pem.cert, key: forged.pem.key })).toBeInstanceOf(Error);
  });

  it('refuses an expired certificate', async () => {
    const expired = await pki.issue('expired', ORDERS, { notBefore: new Date(Date.now() - 3 * 86_400_000), ttlMs: 86_400_000 });
    expect(await rawCall({ cert: expired.pem.cert, key: expired.pem.key })).toBeInstanceOf(Error);
  });

  it('refuses certificates that are not valid SVIDs', async () => {
    const cases = [
      await pki.issue('no-uri', ORDERS, { unsafe: { uris: [] }, dnsNames: ['orders.example.org'] }),
      await pki.issue('two-uris', ORDERS, { unsafe: { uris: [ORDERS, GATEWAY] } }),
      await pki.issue('ca-leaf', ORDERS, { unsafe: { isCa: true } }),
      await pki.issue('not-spiffe', ORDERS, { unsafe: { uris: ['https://orders.example.org/'] } }),
    ];
    for (const c of cases) {
      const outcome = await rawCall({ cert: c.pem.cert, key: c.pem.key });
      expect(outcome, c.cert).toBeInstanceOf(Error);
    }
    // The same raw client with a valid SVID gets through: the refusals above are about the certificates.
    const good = await pki.issue('orders-raw', ORDERS);
    expect(await rawCall({ cert: good.pem.cert, key: good.pem.key })).toBe(200);
  });

  it('refuses a server that presents the wrong SPIFFE ID (impersonation)', async () => {
    const orders = await clientMesh('orders', imposter.address);
    const err = await request('http://payments/charge', { dispatcher: orders.dispatcher }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InmeshError);
    expect((err as InmeshError).code).toBe('ERR_PEER_IDENTITY');
    expect((err as InmeshError).message).toContain(`spiffe://${TD}/sa/imposter`);
    expect((err as InmeshError).message).toContain(PAYMENTS);
  });
});
