// Issue #3 §3-4: paths are normalised before authorization, so encodings cannot bypass a policy
// (Istio CVE-2021-31920's class); ambiguous requests get 400; rate and concurrency limits shed
// with 503 + Retry-After; dry-run policies deny nothing; health endpoints answer.
import { connect } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundEvent } from '../../src/mesh.js';
import { waitFor } from '../helpers/load.js';
import { type MeshService, startMeshService, whoami } from '../helpers/mesh-service.js';

/** Sends raw bytes and returns the status code of the response (0 if the connection closed). */
function raw(port: number, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    socket.end(text);
  });
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: api\r\n${extra}Connection: close\r\n\r\n`;

describe('inbound policies', () => {
  let svc: MeshService;
  let limited: MeshService;
  const events: InboundEvent[] = [];
  let release: () => void = () => {};
  let slowArrived = 0;

  beforeAll(async () => {
    svc = await startMeshService(
      {
        service: 'api',
        inbound: {
          authorization: [
            { name: 'no-admin', action: 'deny', paths: ['/admin', '/admin/*'] },
            { name: 'audit-deletes', action: 'deny', methods: ['DELETE'], dryRun: true },
          ],
        },
      },
      whoami('api'),
    );
    svc.mesh.on('inbound', (e) => events.push(e));
    limited = await startMeshService({ inbound: { rateLimit: { requestsPerSecond: 5, burst: 5 }, concurrencyLimit: 2 } }, (req, res) => {
      if (req.url === '/slow') {
        slowArrived++;
        const previous = release;
        release = () => {
          previous();
          res.end('slow');
        };
        return;
      }
      res.end('ok');
    });
  });
  afterAll(async () => {
    release();
    await svc?.close();
    await limited?.close();
  });

  it('denies /admin however the path is spelled', async () => {
    for (const path of ['/admin', '/%61dmin', '//admin', '/x/../admin', '/admin/', '/./admin', '/%61dmin/users']) {
      expect(await raw(svc.port, get(path)), path).toBe(403);
    }
    expect(await raw(svc.port, get('/public'))).toBe(200);
  });

  it('rejects ambiguous encodings with 400', async () => {
    for (const path of ['/admin%2F..', '/admin%2f', '/x/%2e%2e/admin', '/x%5Cadmin', '/x/%00']) {
      expect(await raw(svc.port, get(path)), path).toBe(400);
    }
  });

  it('gives the handler the normalised path', async () => {
    const res = await request(`http://${svc.address}//public/./a/../b`, {});
    expect(((await res.body.json()) as { path: string }).path).toBe('/public/b');
  });

  it('rejects duplicate Host, odd request targets and malformed requests, and stays up', async () => {
    expect(await raw(svc.port, 'GET /x HTTP/1.1\r\nHost: api\r\nHost: evil\r\nConnection: close\r\n\r\n')).toBe(400);
    expect(await raw(svc.port, 'GET * HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n')).toBe(400);
    expect(await raw(svc.port, 'GET http://evil.example/x HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n')).toBe(400);
    expect(await raw(svc.port, 'GET http://api/public HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n')).toBe(200);
    expect(await raw(svc.port, 'BLAH\r\n\r\n')).toBe(400);
    expect(await raw(svc.port, `GET /x HTTP/1.1\r\nHost: api\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toBe(431);
    // Still serving.
    expect(await raw(svc.port, get('/public'))).toBe(200);
  });

  it('counts what a dry-run policy would deny without denying it', async () => {
    events.length = 0;
    expect(await raw(svc.port, `DELETE /public HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n`)).toBe(200);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'dry-run-denied', policies: ['audit-deletes'], method: 'DELETE' }));
  });

  it('answers /healthz and /readyz', async () => {
    const health = await request(`http://${svc.address}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const ready = await request(`http://${svc.address}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect(await ready.body.json()).toEqual({ status: 'ready' });
  });

  it('sheds requests over the concurrency limit with 503 and Retry-After', async () => {
    const slow = [request(`http://${limited.address}/slow`), request(`http://${limited.address}/slow`)];
    await waitFor(() => slowArrived === 2, 'both slow requests to reach the handler');
    const shed = await request(`http://${limited.address}/fast`);
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('1');
    expect(((await shed.body.json()) as { error: { code: string } }).error.code).toBe('ERR_LOAD_SHED');
    release();
    for (const r of await Promise.all(slow)) {
      expect(r.statusCode).toBe(200);
      await r.body.dump();
    }
  });

  it('sheds requests over the rate limit with 503 and Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | string[] | undefined;
    for (let i = 0; i < 12; i++) {
      const res = await request(`http://${limited.address}/fast`);
      statuses.push(res.statusCode);
      if (res.statusCode === 503) retryAfter = res.headers['retry-after'];
      await res.body.dump();
    }
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });
});
