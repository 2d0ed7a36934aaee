// security: the development CA behind `inmesh ca init` and `inmesh ca issue`, so nobody needs
// openssl to start: an ECDSA P-256 CA for a trust domain, and short-lived X509-SVIDs (24 h by
// default, as Istio's workload certificates) for SPIFFE IDs. Built with @peculiar/x509, loaded
// only here, since it needs a global `reflect-metadata` polyfill that a library must not impose.
import { webcrypto } from 'node:crypto';
import { InmeshError } from '../errors.js';
import { parseSpiffeId } from './spiffe.js';

// @peculiar/x509 is typed against the DOM's WebCrypto types, which this Node project does not
// load; Node's webcrypto objects are the same at run time.
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** Tolerates small clock differences between the host that issues and the host that verifies. */
const BACKDATE_MS = 60_000;

/** PEM certificate and PKCS#8 private key. */
export interface PemPair {
  readonly cert: string;
  readonly key: string;
}

export interface CreateCaOptions {
  readonly trustDomain: string;
  /** Validity of the CA (default 365 days). */
  readonly ttlMs?: number;
}

export interface IssueOptions {
  readonly ca: PemPair;
  /** The SPIFFE ID, e.g. spiffe://example.org/sa/orders. */
  readonly id: string;
  /** Validity (default 24 h). */
  readonly ttlMs?: number;
  /** Start of validity (default now, minus a minute). For tests of expired certificates. */
  readonly notBefore?: Date;
  /** DNS names to add, for clients that check host names. */
  readonly dnsNames?: readonly string[];
  /**
   * For tests of what must be refused: URI SANs to use instead of `[id]` (none, or several),
   * and a leaf that claims to be a CA.
   */
  readonly unsafe?: { readonly uris?: readonly string[]; readonly isCa?: boolean };
}

type X509 = typeof import('@peculiar/x509');
let x509: Promise<X509> | undefined;
async function load(): Promise<X509> {
  x509 ??= (async () => {
    await import('reflect-metadata');
    const lib = await import('@peculiar/x509');
    lib.cryptoProvider.set(webcrypto as never);
    return lib;
  })();
  return x509;
}

function serial(): string {
  // Positive 128-bit serial: RFC 5280 asks for unique, non-negative serials up to 20 octets.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] as number) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(lib: X509, pem: string): Promise<CryptoKey> {
  const der = lib.PemConverter.decode(pem)[0];
  if (!der) throw new InmeshError('ERR_INVALID_ARGUMENT', 'the CA key is not a PEM private key');
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}

/** Creates a development CA for a trust domain. */
export async function createCa(options: CreateCaOptions): Promise<PemPair> {
  const lib = await load();
  // The parsed path must be empty too: "example.org/ns" would otherwise pass as trust domain
  // example.org with a path, and the CA would be made for a trust domain nobody asked for.
  if (parseSpiffeId(`spiffe://${options.trustDomain}`)?.path !== '') {
    throw new InmeshError(
      'ERR_INVALID_ARGUMENT',
      `invalid trust domain ${JSON.stringify(options.trustDomain)} (lower-case letters, digits, . - _)`,
    );
  }
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=inmesh development CA for ${options.trustDomain}`,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + (options.ttlMs ?? 365 * DAY_MS)),
    signingAlgorithm: ALGORITHM,
    keys: keys as never,
    extensions: [
      new lib.BasicConstraintsExtension(true, undefined, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.cRLSign, true),
      new lib.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${options.trustDomain}` }]),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** Issues an X509-SVID for a SPIFFE ID, signed by the CA. */
export async function issueSvid(options: IssueOptions): Promise<PemPair> {
  const lib = await load();
  // X509-SVID §3.1: a leaf's SPIFFE ID MUST have a non-root path (spiffe://td alone names the CA).
  if (!options.unsafe && !parseSpiffeId(options.id)?.path) {
    throw new InmeshError('ERR_INVALID_ARGUMENT', `invalid SPIFFE ID ${JSON.stringify(options.id)} (spiffe://trust-domain/path)`);
  }
  const caCert = new lib.X509Certificate(options.ca.cert);
  const caKey = await importKey(lib, options.ca.key);
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = options.notBefore ?? new Date(Date.now() - BACKDATE_MS);
  const uris = options.unsafe?.uris ?? [options.id];
  const names = [
    ...uris.map((value) => ({ type: 'url' as const, value })),
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
  ];
  const isCa = options.unsafe?.isCa === true;
  const cert = await lib.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${options.id.split('/').pop() || 'workload'}`,
    issuer: caCert.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (options.ttlMs ?? DAY_MS)),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey as never,
    signingKey: caKey as never,
    extensions: [
      new lib.BasicConstraintsExtension(isCa, undefined, true),
      new lib.KeyUsagesExtension(
        isCa
          ? lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.digitalSignature
          : lib.KeyUsageFlags.digitalSignature | lib.KeyUsageFlags.keyAgreement,
        true,
      ),
      new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.serverAuth, lib.ExtendedKeyUsage.clientAuth]),
      ...(names.length ? [new lib.SubjectAlternativeNameExtension(names, true)] : []),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
      await lib.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}
