// Issue #3 §6: permissive mode serves plaintext and mTLS clients on one port (the first byte of
// a connection says which); mTLS peers are identified, plaintext ones are not.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';
import { type MeshService, startMeshService, whoami } from '../helpers/mesh-service.js';
import { createPki, type Pki } from '../helpers/pki.js';
import { recordingLogger } from '../helpers/quiet.js';

const TD = 'example.org';

describe('permissive mTLS', () => {
  let pki: Pki;
  let svc: MeshService;
  let client: Mesh;
  beforeAll(async () => {
    pki = await createPki(TD);
    await pki.issue('payments', `spiffe://${TD}/sa/payments`);
    await pki.issue('orders', `spiffe://${TD}/sa/orders`);
    svc = await startMeshService(
      { identity: { trustDomain: TD, tls: pki.tls('payments') }, inbound: { mtls: 'permissive' } },
      whoami('payments'),
    );
    client = await createMesh({
      logger: recordingLogger(),
      config: { identity: { trustDomain: TD, tls: pki.tls('orders') }, discovery: [{ static: { payments: [svc.address] } }] },
    });
  });
  afterAll(async () => {
    await client?.close();
    await svc?.close();
    await pki?.cleanup();
  });

  it('serves a plaintext client, without identity', async () => {
    const res = await request(`http://${svc.address}/x`);
    expect(await res.body.json()).toMatchObject({ service: 'payments', peer: null });
  });

  it('serves an mTLS client on the same port, with its identity', async () => {
    const res = await request('http://payments/x', { dispatcher: client.dispatcher });
    expect(await res.body.json()).toMatchObject({ service: 'payments', peer: `spiffe://${TD}/sa/orders` });
  });

  it('keeps serving both, interleaved', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res =
          i % 2 ? await request('http://payments/y', { dispatcher: client.dispatcher }) : await request(`http://${svc.address}/y`);
        return ((await res.body.json()) as { peer: string | null }).peer;
      }),
    );
    expect(results.filter((p) => p === null).length).toBe(10);
    expect(results.filter((p) => p === `spiffe://${TD}/sa/orders`).length).toBe(10);
  });
});
