// security: SPIFFE identities. Parsing a SPIFFE ID as the SPIFFE ID spec says, and verifying an
// X.509-SVID as the X509-SVID spec says: exactly one URI SAN, a well-formed SPIFFE ID in the
// expected trust domain, and a leaf that is not a CA and cannot sign certificates.
//
// SANs are read from the certificate's DER with an X.509 library (@peculiar/asn1-x509), never by
// splitting Node's `subjectaltname` string: that string is ambiguous (CVE-2021-44532). The
// library is loaded only when TLS is configured (loadX509Parser), since it costs memory.

/** A parsed SPIFFE ID: `spiffe://<trustDomain><path>`. */
export interface SpiffeId {
  readonly trustDomain: string;
  /** Path, starting with "/" (or "" for the trust domain's own ID). */
  readonly path: string;
  readonly uri: string;
}

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_ID_LENGTH = 2048;

/** Parses a SPIFFE ID, or undefined when it is not well formed. */
export function parseSpiffeId(uri: string): SpiffeId | undefined {
  if (uri.length > MAX_ID_LENGTH || !uri.startsWith('spiffe://')) return undefined;
  const rest = uri.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  // Lower-case letters, digits, dots, dashes, underscores: no port, no userinfo, no upper case.
  if (!trustDomain || !TRUST_DOMAIN.test(trustDomain)) return undefined;
  if (path) {
    const segments = path.slice(1).split('/');
    for (const segment of segments) {
      // No empty segments (no trailing slash), no dot segments, no percent-encoding or query.
      if (!SEGMENT.test(segment) || segment === '.' || segment === '..') return undefined;
    }
  }
  return { trustDomain, path, uri };
}

/** Result of verifying a certificate as an X509-SVID. */
export type SvidCheck = { readonly ok: true; readonly id: SpiffeId } | { readonly ok: false; readonly reason: string };

type Asn1 = {
  schema: typeof import('@peculiar/asn1-schema');
  x509: typeof import('@peculiar/asn1-x509');
};

let asn1: Asn1 | undefined;
let loading: Promise<Asn1> | undefined;

/** Loads the X.509 parser; verifySvid works only once this has resolved. */
export function loadX509Parser(): Promise<void> {
  loading ??= Promise.all([import('@peculiar/asn1-schema'), import('@peculiar/asn1-x509')]).then(([schema, x509]) => {
    asn1 = { schema, x509 };
    return asn1;
  });
  return loading.then(() => {});
}

// KeyUsage bit flags (RFC 5280): keyCertSign = bit 5, cRLSign = bit 6, in the library's flag values.
const KEY_CERT_SIGN = 32;
const CRL_SIGN = 64;

/** Verifies a DER certificate as an X509-SVID of `trustDomain` (any trust domain when omitted). */
export function verifySvid(der: Uint8Array, trustDomain?: string): SvidCheck {
  if (!asn1) throw new Error('verifySvid called before loadX509Parser() resolved');
  const { schema, x509 } = asn1;
  let cert: InstanceType<typeof x509.Certificate>;
  try {
    cert = schema.AsnConvert.parse(der, x509.Certificate);
  } catch {
    return { ok: false, reason: 'the certificate cannot be parsed' };
  }
  const extensions = cert.tbsCertificate.extensions ?? [];
  let uris: string[] | undefined;
  try {
    for (const ext of extensions) {
      if (ext.extnID === x509.id_ce_basicConstraints) {
        const bc = schema.AsnConvert.parse(ext.extnValue, x509.BasicConstraints);
        if (bc.cA) return { ok: false, reason: 'the certificate is a CA certificate, not a leaf' };
      } else if (ext.extnID === x509.id_ce_keyUsage) {
        const ku = schema.AsnConvert.parse(ext.extnValue, x509.KeyUsage);
        if (ku.toNumber() & (KEY_CERT_SIGN | CRL_SIGN)) return { ok: false, reason: 'a leaf SVID must not have keyCertSign or cRLSign' };
      } else if (ext.extnID === x509.id_ce_subjectAltName) {
        const names = schema.AsnConvert.parse(ext.extnValue, x509.SubjectAlternativeName);
        uris = names.filter((n) => n.uniformResourceIdentifier !== undefined).map((n) => n.uniformResourceIdentifier as string);
      }
    }
  } catch {
    return { ok: false, reason: 'an extension of the certificate cannot be parsed' };
  }
  if (!uris || uris.length === 0) return { ok: false, reason: 'the certificate has no URI SAN (no SPIFFE ID)' };
  if (uris.length > 1) return { ok: false, reason: `the certificate has ${uris.length} URI SANs; an SVID has exactly one` };
  const id = parseSpiffeId(uris[0] as string);
  if (!id) return { ok: false, reason: `the URI SAN ${JSON.stringify(uris[0])} is not a valid SPIFFE ID` };
  // X509-SVID §3.1 and §5.2: a leaf's SPIFFE ID MUST have a non-root path; the bare trust-domain
  // ID names the trust domain (its signing authority), never a workload.
  if (id.path === '') return { ok: false, reason: `the SPIFFE ID ${id.uri} has no path; a leaf SVID needs a non-root path` };
  if (trustDomain !== undefined && id.trustDomain !== trustDomain) {
    return { ok: false, reason: `the SPIFFE ID ${id.uri} is not in trust domain ${trustDomain}` };
  }
  return { ok: true, id };
}
