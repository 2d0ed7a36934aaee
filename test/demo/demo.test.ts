// The demo is the product's main job: it must end by itself with every call alive, having
// applied the split and canary, killed an instance and seen ejections.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/demo.js';

describe('demo', () => {
  it('keeps every call alive through a reload, a kill and a failing instance', async () => {
    let text = '';
    const out = new Writable({
      write(chunk, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    });
    const result = await runDemo({ requests: 1500, rate: 1500, out });
    expect(result.failed).toBe(0);
    const v1 = result.rows.find((r) => r.subset === 'v1');
    const v2 = result.rows.find((r) => r.subset === 'v2');
    expect(v1?.ok).toBe(v1?.requests);
    expect(v2?.ok).toBe(v2?.requests);
    // The canary and the 10% split sent traffic to v2 after the reload.
    expect(v2?.requests).toBeGreaterThan(50);
    expect(result.rows.reduce((n, r) => n + r.retries, 0)).toBeGreaterThan(0);
    expect(result.rows.reduce((n, r) => n + r.ejections, 0)).toBeGreaterThan(0);
    expect(result.events.some((e) => e.includes('config reloaded'))).toBe(true);
    expect(text).toContain('Every one of 1500 calls succeeded');
    // mTLS: payments saw only the checkout identity; the one call from another identity was denied.
    expect(Object.keys(result.peers)).toEqual(['spiffe://demo.inmesh/sa/checkout']);
    expect(result.denied).toEqual({ from: 'spiffe://demo.inmesh/sa/reporting', status: 403, code: 'ERR_AUTHZ_DENIED' });
    expect(text).toContain('Peer identities seen by payments');
    // The summary is read from the caller's metrics: every call is counted there.
    expect((v1?.requests ?? 0) + (v2?.requests ?? 0)).toBe(1500);
    expect(result.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dashboard$/);
    expect(text).toContain(result.dashboardUrl);
    expect(text).toMatch(/service\s+subset\s+requests\s+success/);
  });
});
