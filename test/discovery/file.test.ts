import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fileResolver } from '../../src/discovery/file.js';
import type { EndpointUpdate } from '../../src/discovery/resolver.js';
import { createMesh, type Mesh, type MeshConfig } from '../../src/index.js';
import { fsHooks } from '../helpers/fs-hooks.js';
import { type RecordingLogger, recordingLogger } from '../helpers/quiet.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';
import { Cleanup, waitForEvent, waitUntil } from '../helpers/wait.js';

// readFile passes through unless a test holds it, to make a slow read finish after a newer one.
vi.mock('node:fs/promises', async (importOriginal) =>
  (await import('../helpers/fs-hooks.js')).withReadFileHook(await importOriginal<typeof import('node:fs/promises')>()),
);

type EndpointsEvent = [{ service: string; added: { id: string }[]; removed: { id: string }[] }];
type DiscoveryErrorEvent = [{ service: string; error: Error & { code?: string } }];

describe('file resolver', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'inmesh-file-'));
    cleanup.add(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  async function upstream(name: string): Promise<Upstream> {
    const server = await startUpstream(name);
    cleanup.add(() => server.stop());
    return server;
  }

  /** Saves the way editors do: write a temporary file beside it, then rename it over the old one. */
  async function save(path: string, text: string): Promise<void> {
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, path);
  }

  async function meshOn(path: string, logger: RecordingLogger = recordingLogger()): Promise<Mesh> {
    const mesh = await createMesh({
      logger,
      // No passthrough: a name the mesh does not know fails at once instead of going to real DNS.
      config: { discovery: [{ file: { path } }], outbound: { passthrough: false } } as MeshConfig,
    });
    cleanup.add(() => mesh.close({ force: true }));
    return mesh;
  }

  const idsOf = (mesh: Mesh, service = 'payments') => (mesh.endpointsOf(service)?.endpoints ?? []).map((e) => e.id).sort();

  async function call(mesh: Mesh, service = 'payments'): Promise<string> {
    const res = await mesh.fetch(`http://${service}/charge`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { upstream: string }).upstream;
  }

  it('a YAML file gives endpoints with labels and weights, and the mesh routes to them', async () => {
    const a = await upstream('a');
    const dir = await tempDir();
    const path = join(dir, 'endpoints.yaml');
    await save(path, `payments:\n  - address: ${a.address}\n    labels: { version: v2 }\n    weight: 3\n`);
    const mesh = await meshOn(path);
    const [endpoint] = mesh.endpointsOf('payments')?.endpoints ?? [];
    expect(endpoint).toMatchObject({ id: a.address, labels: { version: 'v2' }, weight: 3 });
    expect(await call(mesh)).toBe('a');
  });

  it('a JSON file works the same', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    const dir = await tempDir();
    const path = join(dir, 'endpoints.json');
    await save(path, JSON.stringify({ payments: [a.address, b.address] }));
    const mesh = await meshOn(path);
    expect(idsOf(mesh)).toEqual([a.address, b.address].sort());
    expect(['a', 'b']).toContain(await call(mesh));
  });

  it('an edit saved by rename (as editors do) moves traffic to the new endpoints', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    const dir = await tempDir();
    const path = join(dir, 'endpoints.yaml');
    await save(path, `payments: [${a.address}]\n`);
    const mesh = await meshOn(path);
    expect(await call(mesh)).toBe('a');

    const changed = waitForEvent<EndpointsEvent>(mesh, 'endpoints', (e) => e.service === 'payments' && e.added.length > 0);
    await save(path, `payments: [${b.address}]\n`);
    const [event] = await changed;
    expect(event.added.map((e) => e.id)).toEqual([b.address]);
    expect(event.removed.map((e) => e.id)).toEqual([a.address]);
    expect(await call(mesh)).toBe('b');
  });

  it('an edit written in place is picked up too', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    const dir = await tempDir();
    const path = join(dir, 'endpoints.json');
    await writeFile(path, JSON.stringify({ payments: [a.address] }));
    const mesh = await meshOn(path);

    const changed = waitForEvent<EndpointsEvent>(mesh, 'endpoints', (e) => e.added.some((x) => x.id === b.address));
    await writeFile(path, JSON.stringify({ payments: [a.address, b.address] }));
    await changed;
    expect(idsOf(mesh)).toEqual([a.address, b.address].sort());
  });

  it('a broken file keeps the last good endpoints and reports the error; a fixed file clears it', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    const dir = await tempDir();
    const path = join(dir, 'endpoints.yaml');
    await save(path, `payments: [${a.address}]\n`);
    const logger = recordingLogger();
    const mesh = await meshOn(path, logger);
    const status = () => mesh.status().find((s) => s.name === 'payments');

    const failed = waitForEvent<DiscoveryErrorEvent>(mesh, 'discovery-error');
    await save(path, `payments: [${b.address}\n`);
    const [{ service, error }] = await failed;
    expect(service).toBe('payments');
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/YAML syntax error/);
    expect(logger.lines.some((l) => l.level === 'warn' && /keeping the last good endpoints/.test(l.msg ?? ''))).toBe(true);
    expect(idsOf(mesh)).toEqual([a.address]);
    expect(status()?.lastDiscoveryError).toContain(path);
    expect(await call(mesh)).toBe('a');

    // Valid YAML, wrong shape: rejected with the line of the problem.
    const rejected = waitForEvent<DiscoveryErrorEvent>(mesh, 'discovery-error');
    await save(path, `payments:\n  - not-an-address\n`);
    const [{ error: shapeError }] = await rejected;
    expect(shapeError.code).toBe('ERR_CONFIG_INVALID');
    expect(shapeError.message).toContain(`${path}:2`);
    expect(idsOf(mesh)).toEqual([a.address]);

    const fixed = waitForEvent<EndpointsEvent>(mesh, 'endpoints', (e) => e.added.some((x) => x.id === b.address));
    await save(path, `payments: [${b.address}]\n`);
    await fixed;
    expect(status()?.lastDiscoveryError).toBeUndefined();
    expect(await call(mesh)).toBe('b');
  });

  it('a deleted file keeps the last good endpoints and reports the error', async () => {
    const a = await upstream('a');
    const dir = await tempDir();
    const path = join(dir, 'endpoints.yaml');
    await save(path, `payments: [${a.address}]\n`);
    const mesh = await meshOn(path);

    const failed = waitForEvent<DiscoveryErrorEvent>(mesh, 'discovery-error');
    await rm(path);
    const [{ error }] = await failed;
    expect(error.code).toBe('ERR_DISCOVERY_FAILED');
    expect(error.message).toMatch(/cannot read endpoints file/);
    expect(idsOf(mesh)).toEqual([a.address]);
    expect(await call(mesh)).toBe('a');
  });

  it('a service added to the file becomes routable', async () => {
    const a = await upstream('a');
    const orders = await upstream('orders');
    const dir = await tempDir();
    const path = join(dir, 'endpoints.yaml');
    await save(path, `payments: [${a.address}]\n`);
    const mesh = await meshOn(path);
    await expect(mesh.fetch('http://orders/list')).rejects.toThrow();

    await save(path, `payments: [${a.address}]\norders: [${orders.address}]\n`);
    // Nothing the mesh emits says "a name was added", so poll (bounded) until orders answers.
    const reached = await waitUntil(
      () => mesh.fetch('http://orders/list').then(async (res) => ((await res.json()) as { upstream: string }).upstream),
      'orders is routable',
    );
    expect(reached).toBe('orders');
    expect(idsOf(mesh, 'orders')).toEqual([orders.address]);
    expect(await call(mesh)).toBe('a');
  });

  it('a broken file at start fails createMesh with the line of the problem', async () => {
    const dir = await tempDir();
    const path = join(dir, 'endpoints.yaml');
    await save(path, 'payments:\n  - 127.0.0.1:9001\n  - nope\n');
    await expect(meshOn(path)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringContaining(`${path}:3`) });
  });

  it('a missing file at start fails createMesh', async () => {
    const dir = await tempDir();
    await expect(meshOn(join(dir, 'absent.yaml'))).rejects.toMatchObject({ code: 'ERR_DISCOVERY_FAILED' });
  });

  it("a relative path resolves against the config file's directory", async () => {
    const a = await upstream('a');
    const dir = await tempDir();
    await save(join(dir, 'endpoints.yaml'), `payments: [${a.address}]\n`);
    const configPath = join(dir, 'mesh.yaml');
    await save(configPath, 'discovery:\n  - file: { path: endpoints.yaml }\n');
    const mesh = await createMesh({ config: configPath, watch: false, logger: recordingLogger() });
    cleanup.add(() => mesh.close({ force: true }));
    expect(await call(mesh)).toBe('a');
  });

  it('a slow read that finishes after a newer one does not bring back the older content', async () => {
    const dir = await tempDir();
    const path = join(dir, 'endpoints.json');
    await save(path, JSON.stringify({ payments: ['127.0.0.1:1001'] }));
    const resolver = fileResolver.create(
      { path },
      {
        baseDir: dir,
        declaredServices: [],
        claimedEarlier: () => false,
        clock: { now: () => performance.now(), setTimeout, clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout) },
        logger: recordingLogger(),
        onKnownServicesChanged() {},
      },
    );
    cleanup.add(() => resolver.close());
    cleanup.add(() => {
      fsHooks.readFile = undefined;
    });
    await resolver.ready?.();
    const updates: EndpointUpdate[] = [];
    let onUpdate = () => {};
    resolver.watch('payments', (u) => {
      updates.push(u);
      onUpdate();
    });
    const ports = () => updates.map((u) => u.endpoints?.map((e) => e.port));
    const nextUpdate = () => new Promise<void>((resolve) => (onUpdate = resolve));

    // Hold the read of the 1002 edit (content already read) until the 1003 edit is applied.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let heldRead!: () => void;
    const readHeld = new Promise<void>((resolve) => (heldRead = resolve));
    fsHooks.readFile = (file) => {
      if (file !== path) return undefined;
      fsHooks.readFile = undefined;
      heldRead();
      return held;
    };
    await save(path, JSON.stringify({ payments: ['127.0.0.1:1002'] }));
    await readHeld;
    const newer = nextUpdate();
    await save(path, JSON.stringify({ payments: ['127.0.0.1:1003'] }));
    await newer;
    expect(ports().at(-1)).toEqual([1003]);

    // The held read now finishes: it must be dropped. A later edit is the sign it was processed.
    release();
    const after = nextUpdate();
    await save(path, JSON.stringify({ payments: ['127.0.0.1:1004'] }));
    await after;
    expect(ports()).toEqual([[1001], [1003], [1004]]);
  });
});
