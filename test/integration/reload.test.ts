// Issue #2 §2: a config file reload swaps the snapshot atomically; calls in flight finish on
// the snapshot they started with; an invalid new file is rejected and the old config kept.
import { once } from 'node:events';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, InmeshError, type Mesh, type ReloadEvent } from '../../src/index.js';
import { waitFor } from '../helpers/load.js';
import { recordingLogger } from '../helpers/quiet.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

describe('config reload', () => {
  let dir: string;
  let file: string;
  let v1: Upstream;
  let v2: Upstream;
  let mesh: Mesh;

  const config = (subset: string, timeout: string) => `
discovery:
  - static:
      payments:
        - { address: "${v1.address}", labels: { version: v1 } }
        - { address: "${v2.address}", labels: { version: v2 } }
services:
  payments:
    timeout: ${timeout}
    subsets: { v1: { version: v1 }, v2: { version: v2 } }
    routes:
      - to: [ { subset: ${subset} } ]
`;

  // Editors and ConfigMaps replace a file rather than rewrite it in place.
  async function replace(text: string) {
    const tmp = `${file}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, file);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inmesh-reload-'));
    file = join(dir, 'mesh.yaml');
    v1 = await startUpstream('v1');
    v2 = await startUpstream('v2');
    await writeFile(file, config('v1', '5s'));
    mesh = await createMesh({ config: file, logger: recordingLogger() });
  });
  afterAll(async () => {
    await mesh?.close();
    await v1?.stop();
    await v2?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const upstream = async () => {
    const res = await request('http://payments/x', { dispatcher: mesh.dispatcher });
    return ((await res.body.json()) as { upstream: string }).upstream;
  };

  it('applies a changed file; in-flight calls finish on their snapshot', async () => {
    expect(await upstream()).toBe('v1');
    // A slow call starts under the old config (timeout 5s, subset v1)...
    let release: () => void = () => {};
    v1.handler = (_req, res) => {
      release = () => res.end(JSON.stringify({ upstream: 'v1' }));
    };
    const inFlight = request('http://payments/slow', { dispatcher: mesh.dispatcher });
    await waitFor(() => v1.hits.at(-1)?.path === '/slow', 'the slow call to reach v1');
    // ...the new config sends to v2 with a 50ms timeout...
    const reloaded = once(mesh, 'reload') as Promise<[ReloadEvent]>;
    await replace(config('v2', '50ms'));
    const [event] = await reloaded;
    expect(event.ok).toBe(true);
    expect(await upstream()).toBe('v2');
    // ...and the old call still completes under its own 5s timeout.
    // Not a synchronisation: the call must outlive the new 50ms timeout to show it keeps its own.
    await new Promise((r) => setTimeout(r, 80));
    release();
    const res = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { upstream: string }).upstream).toBe('v1');
    v1.handler = undefined;
  });

  it('rejects an invalid file and keeps the current config', async () => {
    const rejected = once(mesh, 'reload') as Promise<[ReloadEvent]>;
    await replace(`${config('v1', '5s')}\n    retries: { attempts: 99 }\n`);
    const [event] = await rejected;
    expect(event.ok).toBe(false);
    expect(event.error).toBeInstanceOf(InmeshError);
    expect((event.error as InmeshError).code).toBe('ERR_CONFIG_INVALID');
    expect((event.error as InmeshError).message).toMatch(/mesh\.yaml:\d+:\d+/);
    // Still the last good config: v2.
    expect(await upstream()).toBe('v2');
  });
});
