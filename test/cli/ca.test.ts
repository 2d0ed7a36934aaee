// `inmesh ca init|issue`: files a mesh can use as identity.tls, with the SPIFFE ID asked for.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { caCommand } from '../../src/cli/ca.js';
import { main } from '../../src/cli/index.js';
import { loadX509Parser, verifySvid } from '../../src/security/spiffe.js';
import { runCaptured } from '../helpers/cli-io.js';

describe('inmesh ca', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('creates a CA, then an SVID signed by it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inmesh-ca-'));
    dirs.push(dir);
    const init = await runCaptured((io) => main(['ca', 'init', '--trust-domain', 'example.org', '--out', dir], io));
    expect(init.code).toBe(0);
    const issue = await runCaptured((io) =>
      caCommand.run(['issue', '--id', 'spiffe://example.org/sa/orders', '--out', dir, '--ttl', '2h'], io),
    );
    expect(issue.code).toBe(0);
    expect(issue.stdout).toContain('orders.pem');

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
    const notSpiffe = await runCaptured((io) => caCommand.run(['issue', '--id', 'https://not-spiffe', '--out', tmpdir()], io));
    expect(notSpiffe.code).toBe(2);
    expect(notSpiffe.stderr).toContain('not a workload SPIFFE ID');
    const noDomain = await runCaptured((io) => caCommand.run(['init', '--out', tmpdir()], io));
    expect(noDomain.code).toBe(2);
    expect(noDomain.stderr).toContain('--trust-domain and --out are required');
    const unknown = await runCaptured((io) => caCommand.run(['bogus'], io));
    expect(unknown.code).toBe(2);
  });
});
