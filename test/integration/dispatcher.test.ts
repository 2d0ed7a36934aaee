// Issue #2 §4: mesh.dispatcher works with every undici entry point: Node's global fetch (its
// bundled undici calls dispatchers with the callback handler API), npm undici's fetch and
// request, setGlobalDispatcher, and a direct dispatch with a controller-API handler. Hosts that
// are not mesh services pass through, unless the config refuses them.
import { type Dispatcher, getGlobalDispatcher, request, setGlobalDispatcher, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, InmeshError, type Mesh } from '../../src/index.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

describe('mesh.dispatcher', () => {
  let service: Upstream;
  let outside: Upstream;
  let mesh: Mesh;
  let strict: Mesh;
  beforeAll(async () => {
    service = await startUpstream('service');
    outside = await startUpstream('outside');
    const discovery = [{ static: { payments: [service.address] } }];
    mesh = await createMesh({ config: { discovery } });
    strict = await createMesh({ config: { discovery, outbound: { passthrough: false } } });
  });
  afterAll(async () => {
    await mesh?.close();
    await strict?.close();
    await service?.stop();
    await outside?.stop();
  });

  it("works with Node's global fetch", async () => {
    const res = await fetch('http://payments/a', { dispatcher: mesh.dispatcher } as unknown as RequestInit);
    expect(((await res.json()) as { upstream: string }).upstream).toBe('service');
  });

  it("works with npm undici's fetch and request", async () => {
    const res = await undiciFetch('http://payments/b', { dispatcher: mesh.dispatcher });
    expect(((await res.json()) as { upstream: string }).upstream).toBe('service');
    const res2 = await request('http://payments/c', { dispatcher: mesh.dispatcher, method: 'POST', body: 'x' });
    expect(((await res2.body.json()) as { upstream: string }).upstream).toBe('service');
  });

  it('works as the global dispatcher, and lets other hosts through', async () => {
    const previous = getGlobalDispatcher();
    setGlobalDispatcher(mesh.dispatcher);
    try {
      const viaMesh = await fetch('http://payments/d');
      expect(((await viaMesh.json()) as { upstream: string }).upstream).toBe('service');
      const direct = await fetch(`http://${outside.address}/e`);
      expect(((await direct.json()) as { upstream: string }).upstream).toBe('outside');
      const viaUndici = await request('http://payments/f');
      expect(viaUndici.statusCode).toBe(200);
      await viaUndici.body.dump();
    } finally {
      setGlobalDispatcher(previous);
    }
  });

  it('accepts a controller-API handler (onRequestStart/onResponseStart)', async () => {
    const result = await new Promise<{ status: number; body: string; type: unknown }>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let status = 0;
      let type: unknown;
      mesh.dispatcher.dispatch({ origin: 'http://payments', path: '/g', method: 'GET' }, {
        onRequestStart() {},
        onResponseStart(_controller: unknown, statusCode: number, headers: Record<string, unknown>) {
          status = statusCode;
          type = headers['content-type'];
        },
        onResponseData(_controller: unknown, chunk: Buffer) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          resolve({ status, body: Buffer.concat(chunks).toString(), type });
        },
        onResponseError(_controller: unknown, err: Error) {
          reject(err);
        },
      } as unknown as Dispatcher.DispatchHandler);
    });
    expect(result.status).toBe(200);
    expect(result.type).toBe('application/json');
    expect(JSON.parse(result.body).path).toBe('/g');
  });

  it('sends the logical service name as Host', async () => {
    const res = await request('http://payments/h', { dispatcher: mesh.dispatcher });
    await res.body.dump();
    expect(service.hits.at(-1)?.headers.host).toBe('payments');
  });

  it('refuses hosts that are not mesh services when passthrough is off', async () => {
    const err = await request(`http://${outside.address}/i`, { dispatcher: strict.dispatcher }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InmeshError);
    expect((err as InmeshError).code).toBe('ERR_NO_SERVICE');
  });

  it('reports a request undici refuses (bad header value) as ERR_INVALID_ARGUMENT with the cause', async () => {
    const err = await request('http://payments/bad', { dispatcher: mesh.dispatcher, headers: { 'x-bad': 'a\r\nb' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InmeshError);
    expect((err as InmeshError).code).toBe('ERR_INVALID_ARGUMENT');
    expect((err as InmeshError).cause).toBeInstanceOf(Error);
  });

  it('fails calls after close with ERR_MESH_CLOSED', async () => {
    const closing = await createMesh({ config: { discovery: [{ static: { payments: [service.address] } }] } });
    await closing.close();
    const err = await request('http://payments/j', { dispatcher: closing.dispatcher }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as InmeshError).code).toBe('ERR_MESH_CLOSED');
  });
});
