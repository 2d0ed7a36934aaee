// Issue #4 §4: the admin server: loopback by default, optional bearer token, /metrics, /healthz,
// /readyz, /config with secrets redacted, /endpoints, /routes, /dashboard, /api/overview.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redact } from '../../src/admin/admin-server.js';
import { createMesh, type Mesh } from '../../src/index.js';
import { recordingLogger } from '../helpers/quiet.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const TOKEN = 'correct-horse-battery-staple';

describe('admin server', () => {
  let up: Upstream;
  let mesh: Mesh;
  let open: Mesh;
  let base: string;
  let openBase: string;

  beforeAll(async () => {
    up = await startUpstream('up');
    mesh = await createMesh({
      logger: recordingLogger(),
      config: {
        service: 'checkout',
        admin: { token: TOKEN },
        discovery: [{ static: { payments: [{ address: up.address, labels: { version: 'v1' } }] } }],
        services: { payments: { subsets: { v1: { version: 'v1' } }, routes: [{ name: 'all-v1', to: [{ subset: 'v1' }] }] } },
      },
    });
    const bound = await mesh.admin.listen({ port: 0 });
    expect(bound.host).toBe('127.0.0.1');
    base = bound.url;
    open = await createMesh({ logger: recordingLogger(), config: { service: 'open' } });
    openBase = (await open.admin.listen({ port: 0 })).url;
  });
  afterAll(async () => {
    await mesh?.close();
    await open?.close();
    await up?.stop();
  });

  const get = async (url: string, token: string | null = TOKEN) => {
    const res = await request(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.statusCode, type: String(res.headers['content-type']), text: await res.body.text() };
  };

  it('refuses requests without the bearer token, and with a wrong one', async () => {
    expect((await get(`${base}/metrics`, null)).status).toBe(401);
    expect((await get(`${base}/metrics`, 'wrong-token-wrong-token')).status).toBe(401);
    expect((await get(`${base}/healthz`)).status).toBe(200);
    // The dashboard passes the token from its URL.
    expect((await get(`${base}/dashboard?token=${TOKEN}`, null)).status).toBe(200);
  });

  it('serves Prometheus metrics, health and readiness', async () => {
    const res = await request('http://payments/x', { dispatcher: mesh.dispatcher });
    await res.body.dump();
    const metrics = await get(`${base}/metrics`);
    expect(metrics.type).toContain('text/plain');
    expect(metrics.text).toContain(
      'http_client_request_duration_seconds_count{service="checkout",peer_service="payments",route="all-v1",subset="v1"',
    );
    expect(JSON.parse((await get(`${base}/readyz`)).text)).toEqual({ status: 'ready' });
    expect((await get(`${openBase}/healthz`, null)).status).toBe(200);
  });

  it('shows the effective config with secrets redacted', async () => {
    const config = JSON.parse((await get(`${base}/config`)).text);
    expect(config.service).toBe('checkout');
    expect(config.admin.token).toBe('[redacted]');
    expect((await get(`${base}/config`)).text).not.toContain(TOKEN);
    expect(redact({ a: { apiToken: 'x', password: 'y', keep: 1 } })).toEqual({
      a: { apiToken: '[redacted]', password: '[redacted]', keep: 1 },
    });
  });

  it('lists endpoints with their state and routes with their policies', async () => {
    const endpoints = JSON.parse((await get(`${base}/endpoints`)).text);
    expect(endpoints).toContainEqual(
      expect.objectContaining({
        name: 'payments',
        endpoints: [expect.objectContaining({ id: up.address, labels: { version: 'v1' }, state: 'healthy', pending: 0 })],
      }),
    );
    const routes = JSON.parse((await get(`${base}/routes`)).text);
    expect(routes[0]).toMatchObject({
      service: 'payments',
      subsets: { v1: { version: 'v1' } },
      routes: [{ name: 'all-v1' }, { name: 'default' }],
    });
  });

  it('serves the dashboard page and its data', async () => {
    const page = await get(`${base}/dashboard`);
    expect(page.type).toContain('text/html');
    expect(page.text).toContain('<svg id="svg"');
    // Self-contained: nothing loaded from elsewhere.
    expect(page.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/);
    const overview = JSON.parse((await get(`${base}/api/overview`)).text);
    expect(overview.service).toBe('checkout');
    expect(overview.upstreams[0]).toMatchObject({ name: 'payments', subsets: [{ name: 'v1' }] });
  });

  it('answers unknown pages with 404', async () => {
    expect((await get(`${base}/nope`)).status).toBe(404);
  });
});
