// `inmesh ca init|issue`: files a mesh can use as identity.tls, with the SPIFFE ID asked for.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { caCommand } from '../../src/cli/ca.js';
import { main } from '../../src/cli/index.js';
import { loadX509Parser, verifySvid } from '../../src/security/spiffe.js';

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
}

describe('inmesh ca', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('creates a CA, then an SVID signed by it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inmesh-ca-'));
    dirs.push(dir);
    const a = io();
    expect(await main(['ca', 'init', '--trust-domain', 'example.org', '--out', dir], a.io)).toBe(0);
    const b = io();
    expect(await caCommand.run(['issue', '--id', 'spiffe://example.org/sa/orders', '--out', dir, '--ttl', '2h'], b.io)).toBe(0);
    expect(b.out.stdout).toContain('orders.pem');

    const ca = new X509Certificate(await readFile(join(dir, 'ca.pem')));
    const leaf = new X509Certificate(await readFile(join(dir, 'orders.pem')));
    expect(ca.ca).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    await loadX509Parser();
    const check = verifySvid(leaf.raw, 'example.org');
    expect(check.ok && check.id.uri).toBe('spiffe://example.org/sa/orders');
    const hours = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 3_600_000;
    expect(hours).toBeGreaterThan(1.9);
    expect(hours).toBeLessThan(2.1);
    // Keys are for their owner only.
    expect((await stat(join(dir, 'orders.key'))).mode & 0o077).toBe(0);
    expect((await stat(join(dir, 'ca.key'))).mode & 0o077).toBe(0);
  });

  it('refuses bad arguments with exit 2 and says why', async () => {
    const a = io();
    expect(await caCommand.run(['issue', '--id', 'https://not-spiffe', '--out', tmpdir()], a.io)).toBe(2);
    expect(a.out.stderr).toContain('not a workload SPIFFE ID');
    const b = io();
    expect(await caCommand.run(['init', '--out', tmpdir()], b.io)).toBe(2);
    expect(b.out.stderr).toContain('--trust-domain and --out are required');
    const c = io();
    expect(await caCommand.run(['bogus'], c.io)).toBe(2);
  });
});
