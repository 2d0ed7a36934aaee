import { webcrypto, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createCa, issueSvid, type PemPair } from '../../src/security/dev-ca.js';
import { loadX509Parser, parseSpiffeId, type SvidCheck, verifySvid } from '../../src/security/spiffe.js';

const TD = 'example.org';

const der = (pem: string): Uint8Array => new X509Certificate(pem).raw;

/** The reason of a refused check (fails the test when the check passed). */
function reasonOf(check: SvidCheck): string {
  if (check.ok) throw new Error(`expected a refusal, got ${check.id.uri}`);
  return check.reason;
}

describe('parseSpiffeId', () => {
  it('parses a workload ID into trust domain and path', () => {
    expect(parseSpiffeId('spiffe://example.org/sa/orders')).toEqual({
      trustDomain: 'example.org',
      path: '/sa/orders',
      uri: 'spiffe://example.org/sa/orders',
    });
  });

  it("parses the trust domain's own ID (no path)", () => {
    expect(parseSpiffeId('spiffe://example.org')).toEqual({ trustDomain: 'example.org', path: '', uri: 'spiffe://example.org' });
  });

  it.each([
    'spiffe://a-b_c.d/e',
    'spiffe://123/x',
    'spiffe://example.org/MixedCase/UPPER',
    'spiffe://example.org/a.b-c_d/9',
    // Only "." and ".." are dot segments; other all-dot segments are ordinary names.
    'spiffe://example.org/.../x',
    'spiffe://example.org/.hidden',
  ])('accepts the allowed characters: %s', (uri) => {
    expect(parseSpiffeId(uri)?.uri).toBe(uri);
  });

  it.each([
    ['upper-case trust domain', 'spiffe://Example.org/sa/orders'],
    ['port', 'spiffe://example.org:8443/sa/orders'],
    ['empty port', 'spiffe://example.org:/sa/orders'],
    ['userinfo', 'spiffe://alice@example.org/sa/orders'],
    ['userinfo with password', 'spiffe://alice:pw@example.org/sa/orders'],
    ['empty trust domain', 'spiffe:///sa/orders'],
    ['nothing after the scheme', 'spiffe://'],
    ['trailing slash', 'spiffe://example.org/sa/orders/'],
    ['slash only', 'spiffe://example.org/'],
    ['empty segment', 'spiffe://example.org/sa//orders'],
    ['leading empty segment', 'spiffe://example.org//sa'],
    ['"." segment', 'spiffe://example.org/sa/./orders'],
    ['".." segment', 'spiffe://example.org/sa/../orders'],
    ['final ".." segment', 'spiffe://example.org/sa/..'],
    ['percent-encoding in the path', 'spiffe://example.org/sa/%6Frders'],
    ['percent-encoding in the trust domain', 'spiffe://ex%61mple.org/sa'],
    ['query', 'spiffe://example.org/sa/orders?x=1'],
    ['query without path', 'spiffe://example.org?x=1'],
    ['fragment', 'spiffe://example.org/sa/orders#x'],
    ['wrong scheme', 'https://example.org/sa/orders'],
    ['upper-case scheme', 'SPIFFE://example.org/sa/orders'],
    ['missing //', 'spiffe:example.org/sa/orders'],
    ['leading space', ' spiffe://example.org/sa/orders'],
    ['space in the path', 'spiffe://example.org/sa/my orders'],
    ['non-ASCII in the path', 'spiffe://example.org/sa/bestellung-ä'],
    ['non-ASCII in the trust domain', 'spiffe://exämple.org/sa'],
    ['IPv6 literal', 'spiffe://[::1]/sa'],
    ['empty string', ''],
  ])('refuses %s', (_what, uri) => {
    expect(parseSpiffeId(uri)).toBeUndefined();
  });

  it('accepts exactly 2048 characters and refuses 2049 (SPIFFE-ID §2.3)', () => {
    const prefix = 'spiffe://example.org/';
    const at = (length: number) => prefix + 'a'.repeat(length - prefix.length);
    expect(at(2048)).toHaveLength(2048);
    expect(parseSpiffeId(at(2048))?.trustDomain).toBe('example.org');
    expect(parseSpiffeId(at(2049))).toBeUndefined();
  });
});

describe('verifySvid', () => {
  let ca: PemPair;
  let otherCa: PemPair;
  let leaf: PemPair;

  beforeAll(async () => {
    await loadX509Parser();
    ca = await createCa({ trustDomain: TD });
    otherCa = await createCa({ trustDomain: 'other.org' });
    leaf = await issueSvid({ ca, id: 'spiffe://example.org/sa/orders' });
  });

  it('throws when called before loadX509Parser() has resolved', async () => {
    // A fresh copy of the module, whose parser has not been loaded.
    vi.resetModules();
    const fresh = await import('../../src/security/spiffe.js');
    expect(() => fresh.verifySvid(der(leaf.cert), TD)).toThrow(/loadX509Parser/);
    await fresh.loadX509Parser();
    expect(fresh.verifySvid(der(leaf.cert), TD).ok).toBe(true);
  });

  it('accepts a leaf of the trust domain and returns its ID', () => {
    expect(verifySvid(der(leaf.cert), TD)).toEqual({
      ok: true,
      id: { trustDomain: TD, path: '/sa/orders', uri: 'spiffe://example.org/sa/orders' },
    });
  });

  it('accepts a leaf of any trust domain when none is given', async () => {
    const foreign = await issueSvid({ ca: otherCa, id: 'spiffe://other.org/sa/billing' });
    const check = verifySvid(der(foreign.cert));
    expect(check.ok && check.id.trustDomain).toBe('other.org');
  });

  it('accepts a leaf with DNS SANs besides its one URI SAN', async () => {
    const withDns = await issueSvid({ ca, id: 'spiffe://example.org/sa/web', dnsNames: ['web.local', 'localhost'] });
    const check = verifySvid(der(withDns.cert), TD);
    expect(check.ok && check.id.uri).toBe('spiffe://example.org/sa/web');
  });

  it('refuses a leaf of another trust domain, naming both', async () => {
    const foreign = await issueSvid({ ca: otherCa, id: 'spiffe://other.org/sa/orders' });
    const reason = reasonOf(verifySvid(der(foreign.cert), TD));
    expect(reason).toMatch(/spiffe:\/\/other\.org\/sa\/orders is not in trust domain example\.org/);
  });

  it('refuses a trust domain that is only a prefix or suffix of the expected one', async () => {
    const longer = await issueSvid({ ca, id: 'spiffe://example.org.evil/sa/orders' });
    expect(reasonOf(verifySvid(der(longer.cert), TD))).toMatch(/not in trust domain/);
    const shorter = await issueSvid({ ca, id: 'spiffe://org/sa/orders' });
    expect(reasonOf(verifySvid(der(shorter.cert), TD))).toMatch(/not in trust domain/);
  });

  it('refuses the CA certificate', () => {
    expect(reasonOf(verifySvid(der(ca.cert), TD))).toMatch(/CA certificate, not a leaf/);
  });

  it('refuses a leaf that claims to be a CA', async () => {
    const fake = await issueSvid({ ca, id: 'spiffe://example.org/sa/orders', unsafe: { isCa: true } });
    expect(reasonOf(verifySvid(der(fake.cert), TD))).toMatch(/CA certificate, not a leaf/);
  });

  it('refuses a certificate without a URI SAN', async () => {
    const bare = await issueSvid({ ca, id: 'spiffe://example.org/sa/orders', unsafe: { uris: [] } });
    expect(reasonOf(verifySvid(der(bare.cert), TD))).toMatch(/no URI SAN/);
  });

  it('refuses a certificate with only DNS SANs', async () => {
    const dnsOnly = await issueSvid({ ca, id: 'spiffe://example.org/sa/orders', dnsNames: ['orders.local'], unsafe: { uris: [] } });
    expect(reasonOf(verifySvid(der(dnsOnly.cert), TD))).toMatch(/no URI SAN/);
  });

  it('refuses two URI SANs, even when both are valid IDs of the trust domain (X509-SVID §2)', async () => {
    const two = await issueSvid({
      ca,
      id: 'spiffe://example.org/sa/orders',
      unsafe: { uris: ['spiffe://example.org/sa/orders', 'spiffe://example.org/sa/admin'] },
    });
    expect(reasonOf(verifySvid(der(two.cert), TD))).toMatch(/2 URI SANs; an SVID has exactly one/);
  });

  it.each([
    ['wrong scheme', 'https://example.org/sa/orders'],
    ['upper-case trust domain', 'spiffe://EXAMPLE.org/sa/orders'],
    ['dot segment', 'spiffe://example.org/sa/../admin'],
    ['percent-encoding', 'spiffe://example.org/sa/%61dmin'],
  ])('refuses a URI SAN that is not a valid SPIFFE ID (%s), quoting it', async (_what, uri) => {
    const bad = await issueSvid({ ca, id: uri, unsafe: { uris: [uri] } });
    expect(reasonOf(verifySvid(der(bad.cert), TD))).toBe(`the URI SAN ${JSON.stringify(uri)} is not a valid SPIFFE ID`);
  });

  it('refuses a leaf whose SPIFFE ID has no path (X509-SVID §3.1, §5.2: non-root path)', async () => {
    const root = await issueSvid({ ca, id: 'spiffe://example.org', unsafe: { uris: ['spiffe://example.org'] } });
    expect(reasonOf(verifySvid(der(root.cert), TD))).toMatch(/non-root path/);
  });

  it('refuses a non-CA leaf with keyCertSign or cRLSign (X509-SVID §5.2)', async () => {
    // dev-ca cannot make this one (its CA flag and key usage go together): build it directly.
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as never);
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify']);
    const make = async (usages: number) =>
      x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01',
        name: 'CN=orders',
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 3_600_000),
        signingAlgorithm: algorithm,
        keys: keys as never,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(usages, true),
          new x509.SubjectAlternativeNameExtension([{ type: 'url', value: 'spiffe://example.org/sa/orders' }]),
        ],
      });
    const { KeyUsageFlags } = x509;
    for (const usages of [KeyUsageFlags.keyCertSign, KeyUsageFlags.cRLSign, KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign]) {
      const cert = await make(usages);
      expect(reasonOf(verifySvid(new Uint8Array(cert.rawData), TD))).toMatch(/must not have keyCertSign or cRLSign/);
    }
    // The same certificate with an ordinary leaf key usage passes: the flags above are what failed it.
    const good = await make(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyAgreement);
    expect(verifySvid(new Uint8Array(good.rawData), TD).ok).toBe(true);
  });

  it.each([
    ['random bytes', new Uint8Array([1, 2, 3, 4, 5])],
    ['nothing', new Uint8Array(0)],
    ['a valid DER integer that is no certificate', new Uint8Array([0x02, 0x01, 0x05])],
    ['a PEM text instead of DER', new TextEncoder().encode('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')],
  ])('refuses garbage (%s) without throwing', (_what, bytes) => {
    expect(reasonOf(verifySvid(bytes, TD))).toBe('the certificate cannot be parsed');
  });

  it('refuses a truncated certificate without throwing', () => {
    const full = der(leaf.cert);
    expect(reasonOf(verifySvid(full.subarray(0, full.length - 10), TD))).toBe('the certificate cannot be parsed');
  });
});
