// Issue #4 §3: structured JSON access lines for inbound and outbound requests, in pino's shape,
// to a function or a file, sampled (failures always kept).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh, runWithContext } from '../../src/index.js';
import { AccessLog } from '../../src/telemetry/access-log.js';
import { type MeshService, startMeshService, whoami } from '../helpers/mesh-service.js';
import { recordingLogger } from '../helpers/quiet.js';

describe('access log', () => {
  let dir: string;
  let server: MeshService;
  let client: Mesh;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inmesh-access-'));
    server = await startMeshService(
      { service: 'api', telemetry: { accessLog: { output: join(dir, 'access.log'), directions: ['inbound'] } } },
      whoami('api'),
    );
    client = await createMesh({
      logger: recordingLogger(),
      config: {
        service: 'web',
        discovery: [{ static: { api: [server.address] } }],
        telemetry: { accessLog: { output: join(dir, 'client.log'), directions: ['outbound'] } },
      },
    });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one line per request on both sides, with the fields that matter', async () => {
    // As if handling a request from an mTLS peer: the outbound line says on whose behalf.
    await runWithContext({ peer: 'spiffe://example.org/sa/web-caller' }, async () => {
      const res = await request('http://api/orders/7?x=1', { dispatcher: client.dispatcher });
      await res.body.dump();
    });
    const read = async (name: string) =>
      (await readFile(join(dir, name), 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    let inbound: Record<string, unknown>[] = [];
    let outbound: Record<string, unknown>[] = [];
    // The lines are appended asynchronously: read until both are there (bounded).
    for (let i = 0; i < 100 && (inbound.length === 0 || outbound.length === 0); i++) {
      inbound = await read('access.log');
      outbound = await read('client.log');
      if (inbound.length === 0 || outbound.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(inbound[0]).toMatchObject({
      level: 30,
      msg: 'request',
      direction: 'inbound',
      service: 'api',
      method: 'GET',
      path: '/orders/7?x=1',
      status: 200,
    });
    expect(outbound[0]).toMatchObject({
      level: 30,
      msg: 'call',
      direction: 'outbound',
      service: 'web',
      peer_service: 'api',
      status: 200,
      retries: 0,
    });
    expect(outbound[0]?.endpoint).toBe(server.address);
    expect(outbound[0]?.peer).toBe('spiffe://example.org/sa/web-caller');
    expect(typeof inbound[0]?.duration_ms).toBe('number');
    expect(typeof inbound[0]?.time).toBe('number');
  });

  it('samples successes but keeps every failure', () => {
    const lines: Record<string, unknown>[] = [];
    let n = 0;
    const log = new AccessLog({ output: (l) => lines.push(l), sample: 0.25, directions: ['inbound'] }, () => (n++ % 4) / 4);
    const base = { direction: 'inbound' as const, service: 's', route: '', method: 'GET', path: '/', duration_ms: 1 };
    for (let i = 0; i < 100; i++) log.log({ ...base, status: 200 });
    for (let i = 0; i < 10; i++) log.log({ ...base, status: 503 });
    expect(lines.filter((l) => l.status === 200).length).toBe(25);
    expect(lines.filter((l) => l.status === 503).length).toBe(10);
    expect(log.wants('inbound')).toBe(true);
    expect(log.wants('outbound')).toBe(false);
  });
});
