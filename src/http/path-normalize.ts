// http (inbound): request paths normalised once, before anything matches on them, so that no
// policy can be bypassed by spelling a path differently (the class of Istio's CVE-2021-31920):
// percent-encoded unreserved characters are decoded, duplicate slashes merged, dot segments
// resolved. Encodings whose meaning differs between components are refused outright: an encoded
// slash or backslash, an encoded dot segment, NUL, a raw backslash.

export type NormalizedPath = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Normalises a path (without query); rejects ambiguous encodings. */
export function normalizePath(raw: string): NormalizedPath {
  if (!raw.startsWith('/')) return { ok: false, reason: 'the path must start with /' };
  // Most paths need nothing done: no encoding, no empty or dot segment. Said with a few native
  // scans instead of the character loop below.
  if (
    raw.indexOf('%') === -1 &&
    raw.indexOf('//') === -1 &&
    raw.indexOf('/.') === -1 &&
    raw.indexOf('\\') === -1 &&
    raw.indexOf('\0') === -1
  ) {
    return { ok: true, path: raw };
  }
  if (raw.includes('\\')) return { ok: false, reason: 'backslash in path' };
  if (raw.includes('\0')) return { ok: false, reason: 'NUL in path' };
  // Decode %XX of unreserved characters only; keep others encoded (upper-cased, RFC 3986 §6.2.2.1).
  let decoded = '';
  const encodedDots = new Set<number>();
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c !== '%') {
      decoded += c;
      continue;
    }
    const hex = raw.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { ok: false, reason: 'malformed percent-encoding' };
    const code = Number.parseInt(hex, 16);
    if (code === 0x2f || code === 0x5c) return { ok: false, reason: 'encoded slash or backslash in path' };
    if (code === 0) return { ok: false, reason: 'encoded NUL in path' };
    const ch = String.fromCharCode(code);
    if (code < 0x80 && UNRESERVED.test(ch)) {
      if (ch === '.') encodedDots.add(decoded.length);
      decoded += ch;
    } else {
      decoded += `%${hex.toUpperCase()}`;
    }
    i += 2;
  }
  // Merge slashes and resolve dot segments (RFC 3986 §5.2.4).
  const out: string[] = [];
  let offset = 0;
  const segments = decoded.split('/');
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s] as string;
    const start = offset;
    offset += segment.length + 1;
    if (s === 0) continue;
    const last = s === segments.length - 1;
    if (segment === '.' || segment === '..') {
      for (let k = start; k < start + segment.length; k++) {
        if (encodedDots.has(k)) return { ok: false, reason: 'encoded dot segment in path' };
      }
      if (segment === '..') out.pop();
      if (last) out.push('');
      continue;
    }
    if (segment === '' && !last) continue;
    out.push(segment);
  }
  return { ok: true, path: `/${out.join('/')}` };
}
