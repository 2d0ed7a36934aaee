// Issue #2 §5: a POST that reached a server which then reset is not retried; one whose
// connection was refused is (with its body intact); an idempotent request that was reset is.
import diagnostics from 'node:diagnostics_channel';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, InmeshError, type Mesh } from '../../src/index.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

describe('retry safety', () => {
  let resetting: Upstream;
  let echo: Upstream;
  let closedPort: number;
  let mesh: Mesh;
  beforeAll(async () => {
    resetting = await startUpstream('resetting');
    // Reads the whole request (it reached the application), then resets the connection.
    resetting.handler = (req) => {
      req.resume();
      req.on('end', () => req.socket.destroy());
    };
    echo = await startUpstream('echo');
    echo.handler = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(Buffer.concat(chunks)));
    };
    const closed = await startUpstream('closed');
    closedPort = closed.port;
    await closed.stop();
    const retries = {
      attempts: 3,
      on: ['connect-failure', 'reset'] as ('connect-failure' | 'reset')[],
      backoff: { base: '1ms', max: '1ms' },
    };
    mesh = await createMesh({
      config: {
        discovery: [{ static: { resetting: [resetting.address], flaky: [`127.0.0.1:${closedPort}`, echo.address] } }],
        defaults: { circuitBreaker: false, outlierDetection: false },
        services: { resetting: { retries }, flaky: { loadBalancer: 'round-robin', retries } },
      },
    });
  });
  afterAll(async () => {
    await mesh?.close();
    await resetting?.stop();
    await echo?.stop();
  });

  it('does not retry a POST that reached the server before the reset', async () => {
    const before = resetting.hits.length;
    const err = await request('http://resetting/charge', { dispatcher: mesh.dispatcher, method: 'POST', body: 'pay 10' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InmeshError);
    expect((err as InmeshError).code).toBe('ERR_UPSTREAM_RESET');
    expect(resetting.hits.length - before).toBe(1);
  });

  it('retries a GET that was reset (idempotent)', async () => {
    const before = resetting.hits.length;
    await request('http://resetting/status', { dispatcher: mesh.dispatcher }).catch(() => undefined);
    expect(resetting.hits.length - before).toBe(3);
  });

  it('retries a POST whose connection was refused, streamed body intact', async () => {
    let refused = 0;
    const onConnectError = (message: unknown) => {
      if ((message as { connectParams: { port: string } }).connectParams.port === String(closedPort)) refused++;
    };
    diagnostics.subscribe('undici:client:connectError', onConnectError);
    for (let i = 0; i < 10; i++) {
      const payload = `payment-${i}-${'x'.repeat(1000)}`;
      const body = Readable.from([Buffer.from(payload.slice(0, 500)), Buffer.from(payload.slice(500))]);
      const res = await request('http://flaky/charge', { dispatcher: mesh.dispatcher, method: 'POST', body });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe(payload);
    }
    diagnostics.unsubscribe('undici:client:connectError', onConnectError);
    expect(echo.hits.filter((h) => h.method === 'POST').length).toBe(10);
    // Some first attempts really went to the refusing endpoint and were retried.
    expect(refused).toBeGreaterThan(0);
  });
});
