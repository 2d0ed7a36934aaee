// Issue #2 §5: a 200 MB response streams through the mesh with the process's memory flat. The
// upstream runs in its own process so that only the client side is measured.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';

const TOTAL = 200 * 1024 * 1024;
/**
 * Garbage not yet collected grows memory at first by about as much as it does for a plain undici
 * Pool (~80 MB here, the same for 200 MB or 800 MB bodies); a buffered body would add 200 MB.
 */
const MAX_GROWTH = 128 * 1024 * 1024;
/**
 * Flat: the second half of the stream may not need much more memory than the first. A buffered
 * body would add its second half, 100 MB; GC timing on a loaded machine moves this by tens of MB.
 */
const MAX_SECOND_HALF_GROWTH = 64 * 1024 * 1024;

describe('streaming', () => {
  let child: ChildProcess;
  let mesh: Mesh;
  beforeAll(async () => {
    child = spawn(process.execPath, [fileURLToPath(new URL('../fixtures/big-response-server.mjs', import.meta.url)), String(TOTAL)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    mesh = await createMesh({
      config: {
        discovery: [{ static: { files: [`127.0.0.1:${port}`] } }],
        services: { files: { retries: { attempts: 3, on: ['connect-failure', 'reset'] } } },
      },
    });
  });
  afterAll(async () => {
    await mesh?.close();
    child?.stdin?.end();
    child?.kill();
  });

  it('streams 200 MB without buffering it', async () => {
    const start = process.memoryUsage().rss;
    let firstHalfPeak = start;
    let secondHalfPeak = start;
    let received = 0;
    let nextSample = 0;
    const res = await request('http://files/large', { dispatcher: mesh.dispatcher });
    expect(res.statusCode).toBe(200);
    for await (const chunk of res.body) {
      received += (chunk as Buffer).length;
      if (received >= nextSample) {
        const rss = process.memoryUsage().rss;
        if (received < TOTAL / 2) firstHalfPeak = Math.max(firstHalfPeak, rss);
        else secondHalfPeak = Math.max(secondHalfPeak, rss);
        nextSample += 4 * 1024 * 1024;
      }
    }
    expect(received).toBe(TOTAL);
    expect(Math.max(firstHalfPeak, secondHalfPeak) - start).toBeLessThan(MAX_GROWTH);
    expect(secondHalfPeak - firstHalfPeak).toBeLessThan(MAX_SECOND_HALF_GROWTH);
  });
});
