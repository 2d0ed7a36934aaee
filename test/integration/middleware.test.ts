// Issue #3 §1: the same inbound policies whichever way a service serves: mesh.createServer with an
// express app, mesh.middleware() in an app that owns its server, and the Fastify plugin. Each
// normalises paths, authorizes, and runs the handler inside the request context, so a deadline
// reaches outbound calls made after a body parser.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, DEADLINE_HEADER, type Mesh } from '../../src/index.js';
import { recordingLogger } from '../helpers/quiet.js';

describe('inbound middleware and plugins', () => {
  let mesh: Mesh;
  const servers: Server[] = [];
  let fastify: ReturnType<typeof Fastify>;
  const base: Record<string, string> = {};

  const config = {
    service: 'api',
    inbound: { drain: { signals: [] }, authorization: [{ name: 'no-admin', action: 'deny' as const, paths: ['/admin', '/admin/*'] }] },
  };

  function app() {
    const a = express();
    a.use(express.json());
    a.post('/echo', (req, res) => {
      // After express.json() read the body in 'data'/'end' listeners: the context must survive.
      res.json({ body: req.body, deadline: mesh.context()?.deadlineAt !== undefined, path: req.path });
    });
    a.get('/*splat', (req, res) => res.json({ path: req.path }));
    return a;
  }

  beforeAll(async () => {
    mesh = await createMesh({ config, logger: recordingLogger() });

    const viaCreateServer = mesh.createServer(app());
    viaCreateServer.listen(0, '127.0.0.1');
    await once(viaCreateServer, 'listening');
    base.createServer = `http://127.0.0.1:${(viaCreateServer.address() as AddressInfo).port}`;

    const own = express();
    own.use(mesh.middleware());
    own.use(app());
    const ownServer = createServer(own);
    servers.push(ownServer);
    ownServer.listen(0, '127.0.0.1');
    await once(ownServer, 'listening');
    base.middleware = `http://127.0.0.1:${(ownServer.address() as AddressInfo).port}`;

    fastify = Fastify();
    await fastify.register(mesh.fastifyPlugin());
    fastify.post('/echo', async (req: { body: unknown; url: string }) => ({
      body: req.body,
      deadline: mesh.context()?.deadlineAt !== undefined,
      path: req.url,
    }));
    fastify.get('/*', async (req: { url: string }) => ({ path: req.url }));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    base.fastify = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await mesh?.close();
    for (const s of servers) s.close();
    await fastify?.close();
  });

  for (const kind of ['createServer', 'middleware', 'fastify']) {
    describe(kind, () => {
      it('denies a path the policy covers, however spelled', async () => {
        for (const path of ['/admin', '/%61dmin/x']) {
          const res = await request(`${base[kind]}${path}`);
          await res.body.dump();
          expect([403, 400], `${kind} ${path}`).toContain(res.statusCode);
        }
        const res = await request(`${base[kind]}/admin`);
        expect(((await res.body.json()) as { error: { code: string } }).error.code).toBe('ERR_AUTHZ_DENIED');
      });

      it('keeps the request context through the body parser', async () => {
        const res = await request(`${base[kind]}/echo`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [DEADLINE_HEADER]: '5000' },
          body: JSON.stringify({ amount: 42 }),
        });
        expect(res.statusCode).toBe(200);
        expect(await res.body.json()).toMatchObject({ body: { amount: 42 }, deadline: true });
      });
    });
  }

  it('normalises the path for routers that run after it', async () => {
    for (const kind of ['createServer', 'middleware']) {
      const res = await request(`${base[kind]}//public/./x/../y`);
      expect(await res.body.json()).toEqual({ path: '/public/y' });
    }
    // Fastify routed the raw path before the hook ran: a path not in normal form is refused.
    const res = await request(`${base.fastify}//public/./x/../y`);
    expect(res.statusCode).toBe(400);
    await res.body.dump();
  });
});
