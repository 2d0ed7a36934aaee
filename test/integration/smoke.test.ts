import { request, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

describe('smoke', () => {
  let a: Upstream;
  let b: Upstream;
  let mesh: Mesh;
  beforeAll(async () => {
    a = await startUpstream('a');
    b = await startUpstream('b');
    mesh = await createMesh({
      config: {
        discovery: [{ static: { payments: [a.address, b.address] } }],
        services: { payments: { retries: { attempts: 3, on: ['connect-failure', 'reset', 503] } } },
      },
    });
  });
  afterAll(async () => {
    await mesh?.close();
    await a?.stop();
    await b?.stop();
  });

  it('mesh.fetch reaches the service', async () => {
    const res = await mesh.fetch('http://payments/charge');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { upstream: string };
    expect(['a', 'b']).toContain(body.upstream);
  });

  it('undici.request with mesh.dispatcher', async () => {
    const res = await request('http://payments/x', { dispatcher: mesh.dispatcher });
    expect(res.statusCode).toBe(200);
    await res.body.json();
  });

  it('global fetch with the dispatcher', async () => {
    const res = await fetch('http://payments/y', { dispatcher: mesh.dispatcher } as unknown as RequestInit);
    expect(res.status).toBe(200);
    await res.text();
  });

  it('undici fetch', async () => {
    const res = await undiciFetch('http://payments/z', { dispatcher: mesh.dispatcher });
    expect(res.status).toBe(200);
    await res.text();
  });
});
