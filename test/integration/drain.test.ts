// Issue #3 §4: while draining, readiness is false first (for drain.delay), then the listener
// closes; idle keep-alive connections are closed; mesh.close() waits for requests in progress.
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/load.js';
import { startMeshService } from '../helpers/mesh-service.js';

describe('drain', () => {
  it('reports not ready during the drain delay, then stops accepting', async () => {
    let release: () => void = () => {};
    let arrived = false;
    const svc = await startMeshService({ inbound: { drain: { delay: '300ms', timeout: '5s' } } }, (req, res) => {
      if (req.url === '/slow') {
        arrived = true;
        release = () => res.end('slow done');
        return;
      }
      res.end('ok');
    });
    const ready = await request(`http://${svc.address}/readyz`);
    expect(ready.statusCode).toBe(200);
    await ready.body.dump();

    const slow = request(`http://${svc.address}/slow`);
    await waitFor(() => arrived, 'the slow request to arrive');
    expect(svc.mesh.ready).toBe(true);
    const closing = svc.close();
    expect(svc.mesh.ready).toBe(false);

    // During the delay the listener is still open, and says it is draining.
    const draining = await request(`http://${svc.address}/readyz`);
    expect(draining.statusCode).toBe(503);
    expect(await draining.body.json()).toEqual({ status: 'draining' });
    const during = await request(`http://${svc.address}/other`);
    expect(during.headers.connection).toBe('close');
    await during.body.dump();

    // The request in progress holds the close until it finishes.
    await waitFor(() => !svc.server.listening, 'the listener to close after the delay');
    let closed = false;
    void closing.then(() => (closed = true));
    expect(closed).toBe(false);
    release();
    const res = await slow;
    expect(await res.body.text()).toBe('slow done');
    await closing;
    const after = await request(`http://${svc.address}/late`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(after).toBe('refused');
  });
});
